import logging
import time

from psycopg2 import errors

from odoo import api, models
from odoo.tools import SQL

from .collection_channel import clock, dry_run

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
        """Say that nothing is left to catch up, unless another worker did
        (not in a Preview: the parameter's cache would outlive its rollback)."""
        if dry_run(self.env):
            return
        try:
            with self.env.cr.savepoint():
                self.env["ir.config_parameter"].sudo().set_param(PENDING_PARAM, False)
        except errors.SerializationFailure:
            # Cleared by a worker that committed since this snapshot.
            _logger.info("Collection backfill: request cleared by another worker")

    @api.model
    def _select(self, limit, after_id):
        """The next customer invoices whose ruler or schedule is out of date.

        Open posted invoices without a collection event of their current
        ruler (posted before the install, or while no ruler applied), and
        invoices, draft or open, that follow their customer or company but
        not its ruler of now. The ruler a customer or company has is read
        from the company-dependent column as stored; ``_apply`` computes it
        again through the ORM.
        """
        Move = self.env["account.move"]
        Move.flush_model()
        self.env["res.partner"].flush_model(["collection_ruler_id"])
        self.env["res.company"].flush_model(["collection_ruler_id"])
        self.env["collection.ruler.event"].flush_model(["move_id", "ruler_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT m.id FROM account_move m
                  JOIN res_partner p ON p.id = m.partner_id
                  JOIN res_partner cp ON cp.id = m.commercial_partner_id
                  JOIN res_company c ON c.id = m.company_id
                 WHERE m.move_type = 'out_invoice' AND m.id > %(after)s
                   AND m.collection_excluded IS NOT TRUE
                   AND (m.state = 'draft' OR (m.state = 'posted'
                        AND m.payment_state IN ('not_paid', 'partial')))
                   AND ((m.state = 'posted' AND NOT EXISTS (
                            SELECT 1 FROM collection_ruler_event e
                             WHERE e.move_id = m.id
                               AND e.ruler_id = m.collection_ruler_id))
                        OR (m.collection_ruler_chosen IS NOT TRUE
                            AND m.collection_ruler_id IS DISTINCT FROM COALESCE(
                                (p.collection_ruler_id ->> m.company_id::text)::int,
                                (cp.collection_ruler_id ->> m.company_id::text)::int,
                                c.collection_ruler_id)))
                 ORDER BY m.id LIMIT %(limit)s
                """,
                after=after_id,
                limit=limit,
            )
        )
        return Move.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _apply(self, moves, send_now=False):
        """Give ``moves`` the ruler they take from their customer or company,
        unless one was chosen for them, and bring their schedule up to date.

        :param send_now: leave the steps already past due, for the next run
            to send the current one through the catch-up rule, instead of
            marking them as before the ruler applied
        :return: the invoices given a new ruler or their first events
        """
        moves = moves.sudo()
        before = {move: move.collection_ruler_id for move in moves}
        following = moves.filtered(lambda m: not m.collection_ruler_chosen)
        if following:
            self.env.add_to_compute(moves._fields["collection_ruler_id"], following)
        changed = moves.filtered(
            lambda m: m.collection_ruler_id != before[m]
            or not m.collection_event_ids.filtered(
                lambda e, r=m.collection_ruler_id: e.ruler_id == r
            )
        )
        for company in changed.company_id:
            # The reasons of what is cancelled, in the company's language.
            changed.filtered(lambda m, c=company: m.company_id == c).with_context(
                lang=company._collection_get_lang()
            )._collection_sync_events()
        if not send_now:
            self._skip_past(changed)
        return changed.filtered("collection_event_ids")

    @api.model
    def _skip_past(self, moves):
        """Mark the scheduled steps of ``moves`` whose date has passed as
        before the ruler applied: they are never sent. The reason is in the
        company's language."""
        events = moves.collection_event_ids.filtered(lambda e: e.state == "scheduled")
        for company in events.company_id:
            today = company._collection_get_today()
            past = events.filtered(
                lambda e, c=company, t=today: e.company_id == c and e.scheduled_date < t
            )
            reason = self.with_context(lang=company._collection_get_lang()).env._(
                "Past when the ruler was applied: not sent."
            )
            past.write(
                {
                    "state": "skipped",
                    "executed_at": clock(self.env),
                    "failure_reason": reason,
                }
            )
