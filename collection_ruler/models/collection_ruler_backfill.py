import logging
import time

from psycopg2 import errors

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Set while open invoices may wait for their schedule; read through
# ir.config_parameter's cache, so that a run with nothing to catch up costs
# no query for it.
PENDING_PARAM = "collection_ruler.backfill_pending"
# The key of the advisory lock that one backfilling worker holds.
BACKFILL_LOCK = 7_465_331_091


class CollectionRulerBackfill(models.AbstractModel):
    """Chase what already exists: give open invoices that have no schedule one.

    Invoices posted before the module was installed, or while neither their
    customer nor their company had a ruler, have no events. The scheduled
    run gives them their ruler and their schedule, in batches, before it
    runs what is due. Steps whose date had already passed are marked as
    before the ruler applied and never sent: the first contact is the next
    step due, so that a customer is not greeted with a stale reminder or a
    legal letter out of the blue.
    """

    _name = "collection.ruler.backfill"
    _description = "Collection Schedule Backfill"

    @api.model
    def _request(self):
        """Ask the next run to look for open invoices without a schedule."""
        self.env["ir.config_parameter"].sudo().set_param(PENDING_PARAM, "1")
        # Not there yet while the module's own data installs: the install's
        # hook asks again once it is.
        cron = self.env.ref(
            "collection_ruler.ir_cron_collection_ruler_run", raise_if_not_found=False
        )
        if cron:
            cron._trigger()

    @api.model
    def _is_pending(self):
        return bool(self.env["ir.config_parameter"].sudo().get_param(PENDING_PARAM))

    @api.model
    def _run(self, run, deadline=None):
        """Schedule every open invoice that has none, batch after batch.

        :param run: the collection.ruler.run under way, which commits
        :param deadline: time.monotonic() value after which no batch starts
        :return: the number of invoices given a schedule, or None when the
            time budget left some for the next run
        """
        if not self._is_pending() or not self._lock():
            return 0
        batch_size = run._get_batch_size()
        after_id, count = 0, 0
        while True:
            moves = self._select(batch_size, after_id)
            if not moves:
                break
            after_id = moves[-1].id
            count += len(self._apply(moves))
            run._commit_batch()
            if deadline and time.monotonic() > deadline:
                return None
            if not self._lock():
                return count  # another worker goes on from here
        self._clear()
        if count:
            _logger.info("Collection: %s open invoices given a schedule", count)
        return count

    @api.model
    def _lock(self):
        """Take the backfill for this transaction, unless another worker has it.

        One worker at a time catches up; the others go on to the due events.
        """
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", BACKFILL_LOCK))
        return self.env.cr.fetchone()[0]

    @api.model
    def _clear(self):
        """Say that nothing is left to catch up, unless another worker did."""
        try:
            with self.env.cr.savepoint():
                self.env["ir.config_parameter"].sudo().set_param(PENDING_PARAM, False)
        except errors.SerializationFailure:
            # Cleared by a worker that committed since this snapshot.
            _logger.info("Collection backfill: request cleared by another worker")

    @api.model
    def _select(self, limit, after_id):
        """The next open customer invoices that have no collection event."""
        Move = self.env["account.move"]
        Move.flush_model()
        self.env["collection.ruler.event"].flush_model(["move_id"])
        self.env.cr.execute(
            SQL(
                "SELECT m.id FROM account_move m"
                " WHERE m.move_type = 'out_invoice' AND m.state = 'posted'"
                " AND m.payment_state IN ('not_paid', 'partial')"
                " AND m.collection_excluded IS NOT TRUE AND m.id > %s"
                " AND NOT EXISTS (SELECT 1 FROM collection_ruler_event e"
                "                  WHERE e.move_id = m.id)"
                " ORDER BY m.id LIMIT %s",
                after_id,
                limit,
            )
        )
        return Move.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _apply(self, moves):
        """Give ``moves`` their ruler, if they have none, and their schedule.

        :return: the invoices that now have events
        """
        moves = moves.sudo()
        without_ruler = moves.filtered(lambda m: not m.collection_ruler_id)
        if without_ruler:
            # The customer's or the company's ruler, as at posting time.
            self.env.add_to_compute(moves._fields["collection_ruler_id"], without_ruler)
        moves._collection_sync_events()
        events = moves.collection_event_ids.filtered(lambda e: e.state == "scheduled")
        now = fields.Datetime.now()
        todays = {c: c._collection_get_today() for c in events.company_id}
        past = events.filtered(lambda e: e.scheduled_date < todays[e.company_id])
        past.write(
            {
                "state": "skipped",
                "executed_at": now,
                "failure_reason": self.env._(
                    "Not sent: its date had passed when the collection ruler was "
                    "applied to this invoice."
                ),
            }
        )
        return events.move_id
