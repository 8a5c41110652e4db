import logging
from collections import defaultdict
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools.misc import format_date
from odoo.tools.sql import drop_index

from .collection_channel import channel_selection, clock, dry_run

_logger = logging.getLogger(__name__)

# A temporarily failing event is tried this many times in all, waiting 1, 2,
# 4... days between attempts, before it fails for good.
MAX_ATTEMPTS = 5


class CollectionRulerEvent(models.Model):
    """One step of a ruler applied to one invoice: its materialized schedule."""

    _name = "collection.ruler.event"
    _description = "Collection Event"
    _order = "scheduled_date desc, step_sequence desc, id desc"
    _rec_name = "step_id"
    _check_company_auto = True

    # === Links === #
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner",
        string="Customer",
        index=True,
        help="The commercial partner of the invoice.",
    )
    ruler_id = fields.Many2one(comodel_name="collection.ruler", index=True)
    step_id = fields.Many2one(
        comodel_name="collection.ruler.step",
        required=True,
        ondelete="cascade",
        index=True,
    )
    step_sequence = fields.Integer()
    company_id = fields.Many2one(comodel_name="res.company", required=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    channel = fields.Selection(
        selection=channel_selection,
        required=True,
    )

    # === Schedule and outcome === #
    # Indexed by the partial index of ``init``, on the scheduled events only.
    scheduled_date = fields.Date(required=True)
    executed_at = fields.Datetime(string="Executed On", readonly=True)
    state = fields.Selection(
        selection=[
            ("scheduled", "Scheduled"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("skipped", "Skipped"),
            ("cancelled", "Cancelled"),
        ],
        default="scheduled",
        required=True,
        index=True,
    )
    failure_reason = fields.Char(string="Reason")
    retry_count = fields.Integer(
        string="Attempts Failed",
        readonly=True,
        help="Temporary failures so far; the event is retried later, each time "
        "after a longer delay, until it runs or fails for good.",
    )
    run_id = fields.Many2one(
        comodel_name="collection.ruler.run",
        string="Last Run",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
    )
    amount_residual = fields.Monetary(
        string="Amount Due When Run",
        currency_field="currency_id",
        help="What the customer still owed when the step ran.",
    )

    # === What the step produced === #
    message_id = fields.Many2one(comodel_name="mail.message", ondelete="set null")
    sms_id = fields.Many2one(comodel_name="sms.sms", string="SMS", ondelete="set null")
    sms_number = fields.Char(string="SMS Number")
    activity_id = fields.Many2one(comodel_name="mail.activity", ondelete="set null")
    deferred_until = fields.Date(
        readonly=True,
        help="A legal guard postponed this step: it does not run before this date.",
    )
    letter_attachment_id = fields.Many2one(
        comodel_name="ir.attachment", string="Letter", ondelete="set null"
    )
    letter_delivery = fields.Selection(
        selection=[
            ("email", "Emailed"),
            ("print", "By Post"),
            ("withdrawn", "Withdrawn"),
        ],
        readonly=True,
        help="By Post: the letter is printed, then posted (see Printed On and "
        "Posted On). Withdrawn: the letter was waiting to be printed when its "
        "invoice stopped being collected, so it was never mailed.",
    )
    letter_deadline = fields.Date(
        readonly=True, help="The date the letter gives the customer to pay by."
    )
    letter_printed_at = fields.Datetime(
        string="Printed On",
        readonly=True,
        help="When the PDF holding the letter was downloaded to be printed.",
    )
    letter_print_batch_id = fields.Many2one(
        comodel_name="ir.attachment",
        string="Print Batch",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The merged PDF this letter was last rendered into: the letter "
        "counts as printed once that PDF is downloaded.",
    )
    letter_move_ids = fields.Many2many(
        comodel_name="account.move",
        relation="collection_ruler_event_letter_move_rel",
        column1="event_id",
        column2="move_id",
        string="Invoices Claimed",
        readonly=True,
        help="The customer's overdue invoices that the letter lists and claims.",
    )
    covered_event_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Covered By",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="An earlier letter of the same kind already claimed this invoice "
        "and its deadline still ran when this step came due: no second letter "
        "went out, and that letter stands for this step.",
    )
    letter_to_print = fields.Boolean(
        compute="_compute_letter_to_print", search="_search_letter_to_print"
    )
    registration_id = fields.Many2one(
        comodel_name="collection.bureau.registration",
        string="Credit Bureau Registration",
        ondelete="set null",
        groups="collection_ruler.group_collection_manager",
    )

    _sql_constraints = [
        (
            "move_step_unique",
            "UNIQUE(move_id, step_id)",
            "An invoice has one event per ruler step.",
        ),
    ]

    @api.depends("letter_delivery", "letter_printed_at")
    def _compute_letter_to_print(self):
        for event in self:
            event.letter_to_print = (
                event.letter_delivery == "print" and not event.letter_printed_at
            )

    def _search_letter_to_print(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on letters to print."))
        domain = [("letter_delivery", "=", "print"), ("letter_printed_at", "=", False)]
        if (operator == "=") != value:
            return ["!", *expression.normalize_domain(domain)]
        return domain

    def init(self):
        # The run looks for due events by date and invoice: a partial index
        # on the scheduled ones keeps that search cheap however many events
        # already ran. (An earlier version indexed the company first.)
        drop_index(self._cr, "collection_ruler_event_due_index", self._table)
        drop_index(
            self._cr, "collection_ruler_event__scheduled_date_index", self._table
        )
        tools.create_index(
            self._cr,
            "collection_ruler_event_scheduled_index",
            self._table,
            ["scheduled_date", "move_id"],
            where="state = 'scheduled'",
        )

    # ------------------------------------------------------------------
    # Channels
    # ------------------------------------------------------------------

    def _get_channel_model(self):
        """The ``collection.channel.<code>`` model of these events' channel."""
        channels = set(self.mapped("channel"))
        if len(channels) != 1:
            raise UserError(self.env._("Events of one channel are expected."))
        return self.env[f"collection.channel.{channels.pop()}"]

    # ------------------------------------------------------------------
    # Record: outcomes written and notes logged in bulk
    # ------------------------------------------------------------------

    @api.model
    def _apply_outcomes(self, outcomes, counts):
        """Write what the channels did, and log the chatter notes, in bulk.

        :param dict outcomes: {event id: Outcome}; events left out stay
            scheduled
        :param counts: {channel: Counter}, updated in place
        """
        now = clock(self.env)
        notes = defaultdict(list)
        events = self.browse(list(outcomes))
        unreachable = {
            event_id: outcome.reason
            for event_id, outcome in outcomes.items()
            if outcome.kind == "failed" and outcome.fallback
        }
        fell_back = self.browse(list(unreachable))._fall_back(unreachable)
        for event in fell_back:
            outcomes[event.id].kind = "fell_back"
        done = self.browse()
        for event in events:
            outcome = outcomes[event.id]
            step = event.step_id
            if outcome.kind == "done":
                event.write(
                    {
                        # A channel may say why a done step sent nothing.
                        "failure_reason": False,
                        **outcome.values,
                        "state": "done",
                        "executed_at": now,
                        "amount_residual": event.move_id.amount_residual,
                    }
                )
                done |= event
                if outcome.note:
                    notes[event.move_id].append(outcome.note)
            elif outcome.kind == "deferred":
                if event.failure_reason != outcome.reason:
                    notes[event.move_id].append(
                        self.env._(
                            "Collection step %(step)s deferred: %(reason)s",
                            step=step.name,
                            reason=outcome.reason,
                        )
                    )
                event.write(
                    {
                        "scheduled_date": outcome.date,
                        "deferred_until": outcome.date,
                        "failure_reason": outcome.reason,
                    }
                )
            elif outcome.kind == "waiting":
                event.write(
                    {"not_before": outcome.date, "failure_reason": outcome.reason}
                )
                outcome.kind = "deferred"  # counted with the deferred ones
            elif outcome.kind == "fell_back":
                notes[event.move_id].append(fell_back[event])
            elif outcome.kind == "transient" and event.retry_count + 1 < MAX_ATTEMPTS:
                notes[event.move_id].append(event._retry_later(outcome.reason))
                outcome.kind = "retried"
            else:
                reason = outcome.reason
                if outcome.kind == "transient":
                    reason = self.env._(
                        "%(reason)s (gave up after %(count)s attempts)",
                        reason=reason,
                        count=MAX_ATTEMPTS,
                    )
                    outcome.kind = "failed"
                _logger.info(
                    "Collection event %s (invoice %s, step %s) failed: %s",
                    event.id,
                    event.move_id.id,
                    step.id,
                    reason,
                )
                event.write(
                    {
                        "state": "failed",
                        "executed_at": now,
                        "failure_reason": reason,
                        "amount_residual": event.move_id.amount_residual,
                    }
                )
                notes[event.move_id].append(
                    self.env._(
                        "Collection step %(step)s failed: %(reason)s",
                        step=step.name,
                        reason=reason,
                    )
                )
            counts[event.channel][outcome.kind] += 1
        self.env["collection.evidence"]._record_contacts(done)
        self._log_notes(notes)

    @api.model
    def _apply_skipped(self, skipped, outcomes, counts):
        """Skip the stale events of the invoices whose latest step ran.

        :param dict skipped: {stale events: the event sent instead}
        :param dict outcomes: {event id: Outcome} of the batch
        :param counts: {channel: Counter}, updated in place
        """
        now = clock(self.env)
        notes = defaultdict(list)
        for stale, latest in skipped.items():
            if latest.id not in outcomes:
                continue  # cut off by the time budget: all of it waits
            stale._mark_skipped(latest, now)
            for event in stale:
                counts[event.channel]["skipped"] += 1
            notes[latest.move_id].append(
                self.env._(
                    "Collection: missed steps skipped: %(steps)s.",
                    steps=", ".join(stale.step_id.mapped("name")),
                )
            )
        self._log_notes(notes)

    @api.model
    def _log_notes(self, notes):
        """Log one note per invoice, in one batch.

        :param dict notes: {account.move record: [texts]}
        """
        if not notes or dry_run(self.env):
            return
        moves = self.env["account.move"].browse([move.id for move in notes])
        moves._message_log_batch(
            bodies={
                move.id: Markup("<br/>").join(texts) for move, texts in notes.items()
            }
        )

    def _retry_later(self, reason):
        """Reschedule this event after a temporary failure.

        :return: the note to log on the invoice
        """
        self.ensure_one()
        attempt = self.retry_count + 1
        date = self.company_id._collection_get_today() + timedelta(
            days=2 ** (attempt - 1)
        )
        message = self.env._(
            "Attempt %(attempt)s of %(max)s failed, retried on %(date)s: %(reason)s",
            attempt=attempt,
            max=MAX_ATTEMPTS,
            date=format_date(self.env, date),
            reason=reason,
        )
        self.write(
            {"retry_count": attempt, "scheduled_date": date, "failure_reason": message}
        )
        return self.env._(
            "Collection step %(step)s: %(message)s",
            step=self.step_id.name,
            message=message,
        )

    def _mark_skipped(self, latest, now):
        """Skip missed steps that a later due step supersedes."""
        self.write(
            {
                "state": "skipped",
                "executed_at": now,
                "failure_reason": self.env._(
                    "Late run: %(step)s went instead.",
                    step=latest.step_id.name,
                ),
            }
        )

    @api.model
    def _on_collection_stopped(self, events, reason):
        """Let each channel react to invoices that stopped being collected."""
        for channel in set(events.mapped("channel")):
            self.env[f"collection.channel.{channel}"]._on_collection_stopped(
                events.filtered(lambda e, c=channel: e.channel == c), reason
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_retry(self):
        """Schedule failed events again, for the next run, which starts soon."""
        self.check_access("write")
        failed = self.filtered(lambda e: e.state == "failed")
        if not failed:
            raise UserError(self.env._("Only failed events can be retried."))
        for company, events in failed.grouped("company_id").items():
            events.sudo().write(
                {
                    "state": "scheduled",
                    "scheduled_date": company._collection_get_today(),
                    "executed_at": False,
                    "retry_count": 0,
                    "failure_reason": False,
                }
            )
        for move in failed.move_id:
            move._message_log(
                body=self.env._(
                    "Collection: %(user)s asked to retry the failed steps.",
                    user=self.env.user.name,
                )
            )
        self.env.ref("collection_ruler.ir_cron_collection_ruler_run").sudo()._trigger()
        return True

    def action_print_pending_letters(self):
        """Merge every letter waiting to be printed into one PDF to download.

        Called on a selection, only its letters are printed; called on no
        record, every pending letter the user can see. Any collection user
        may print: the search applies their access rights.

        :return: an action downloading the merged PDF
        """
        domain = [("letter_to_print", "=", True), ("letter_attachment_id", "!=", False)]
        if self.ids:
            domain = expression.AND([domain, [("id", "in", self.ids)]])
        events = self.search(domain, order="partner_id, move_id, id")
        attachment = self.env["collection.channel.letter"]._print_pending(events)
        return {
            "type": "ir.actions.act_url",
            # The letters count as printed when this link serves the PDF, not
            # before: a download a popup blocker stopped leaves them queued.
            "url": f"/collection_ruler/letters/{attachment.id}",
            # A new tab downloads the file; the list left open reloads.
            "target": "new",
        }
