import logging
from collections import defaultdict
from datetime import datetime, time, timedelta

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
            ("fell_back", "Fell Back"),
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

        Each outcome is applied by the ``_apply_<kind>`` method of its kind,
        which writes the event and says how the run counts it; the outcomes
        themselves are left as the channels returned them.

        :param dict outcomes: {event id: Outcome}; events left out stay
            scheduled
        :param counts: {channel: Counter}, updated in place
        """
        now = clock(self.env)
        notes = defaultdict(list)
        unreachable = {
            event_id: outcome.reason
            for event_id, outcome in outcomes.items()
            if outcome.kind == "failed" and outcome.fallback
        }
        fell_back = self.env["collection.ruler.fallback"]._fall_back(
            self.browse(list(unreachable)), unreachable
        )
        done = self.browse()
        for event in self.browse(list(outcomes)):
            if event in fell_back:
                counted, note = "fell_back", fell_back[event]
            else:
                outcome = outcomes[event.id]
                apply = getattr(event, f"_apply_{outcome.kind}")
                counted, note = apply(outcome, now)
            if counted == "done":
                done |= event
            if note:
                notes[event.move_id].append(note)
            counts[event.channel][counted] += 1
        self.env["collection.evidence"]._record_contacts(done)
        self._log_notes(notes)

    # Each ``_apply_<kind>`` writes one event's outcome of that kind.
    # :return: (how the run counts it, the note for the invoice's chatter or None)

    def _apply_done(self, outcome, now):
        self.write(
            {
                # A channel may say why a done step sent nothing.
                "failure_reason": False,
                **outcome.values,
                "state": "done",
                "executed_at": now,
                "amount_residual": self.move_id.amount_residual,
            }
        )
        return "done", outcome.note

    def _apply_deferred(self, outcome, now):
        note = None
        if self.failure_reason != outcome.reason:
            note = self.env._(
                "Collection step %(step)s deferred: %(reason)s",
                step=self.step_id.name,
                reason=outcome.reason,
            )
        self.write(
            {
                "scheduled_date": outcome.date,
                "deferred_until": outcome.date,
                "failure_reason": outcome.reason,
            }
        )
        return "deferred", note

    def _apply_waiting(self, outcome, now):
        self.write({"not_before": outcome.date, "failure_reason": outcome.reason})
        return "deferred", None  # counted with the deferred ones

    def _apply_transient(self, outcome, now):
        if self.retry_count + 1 < MAX_ATTEMPTS:
            return "retried", self._retry_later(outcome.reason)
        reason = self.env._(
            "%(reason)s (gave up after %(count)s attempts)",
            reason=outcome.reason,
            count=MAX_ATTEMPTS,
        )
        return self._apply_failed(outcome, now, reason=reason)

    def _apply_failed(self, outcome, now, reason=None):
        reason = reason or outcome.reason
        _logger.info(
            "Collection event %s (invoice %s, step %s) failed: %s",
            self.id,
            self.move_id.id,
            self.step_id.id,
            reason,
        )
        self.write(
            {
                "state": "failed",
                "executed_at": now,
                "failure_reason": reason,
                "amount_residual": self.move_id.amount_residual,
            }
        )
        return "failed", self.env._(
            "Collection step %(step)s failed: %(reason)s",
            step=self.step_id.name,
            reason=reason,
        )

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

    # ----------------------------------------------------------------------
    # Contact hours
    # ----------------------------------------------------------------------

    not_before = fields.Datetime(
        string="Waits Until",
        readonly=True,
        help="The contact hours open later today: the runs leave the step alone "
        "until then.",
    )

    # ----------------------------------------------------------------------
    # Provider messages
    # ----------------------------------------------------------------------

    provider_message_id = fields.Many2one(
        comodel_name="collection.provider.message",
        string="Provider Message",
        ondelete="set null",
        readonly=True,
    )
    provider_message_state = fields.Selection(
        related="provider_message_id.state", string="Provider Status"
    )

    # ----------------------------------------------------------------------
    # Digest
    # ----------------------------------------------------------------------

    digest_event_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Sent With",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The event whose message also covered this invoice: one message "
        "per customer lists all its invoices due that day.",
    )

    # ----------------------------------------------------------------------
    # Fallback, delivery and proof of notice
    # ----------------------------------------------------------------------
    #
    # The logic lives in the services collection.ruler.fallback,
    # collection.ruler.delivery and collection.notice.proof.

    fallback_of_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Fallback Of",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        help="The event this one stands in for: its customer could not be "
        "reached on its channel.",
    )
    fallback_event_ids = fields.One2many(
        comodel_name="collection.ruler.event",
        inverse_name="fallback_of_id",
        string="Fallback Events",
        readonly=True,
    )
    delivery_state = fields.Selection(
        selection=[
            ("queued", "Queued"),
            ("sent", "Sent"),
            ("delivered", "Delivered"),
            ("read", "Read"),
            ("answered", "Answered"),
            ("printed", "Printed"),
            ("posted", "Posted"),
            ("bounced", "Bounced"),
            ("failed", "Not Delivered"),
        ],
        string="Delivery",
        readonly=True,
        help="What the channel reported: sent, delivered, read, a call "
        "answered, a letter printed or posted; or bounced and not delivered.",
    )
    delivery_date = fields.Datetime(
        string="Delivery Status On",
        readonly=True,
        help="When the channel reported the delivery status.",
    )
    letter_posted_date = fields.Date(
        string="Posted On",
        readonly=True,
        help="The date the printed letter was handed to the post.",
    )
    evidence_ids = fields.One2many(
        comodel_name="collection.evidence",
        inverse_name="event_id",
        string="Evidence",
        readonly=True,
    )

    def _mark_posted(self, posted_date):
        """Record that these printed letters were posted on ``posted_date``.

        Any collection user who prints letters may record it; the posting
        date is kept on the letter's evidence, as a receipt.
        """
        self.check_access("read")
        not_printed = self.filtered(
            lambda e: e.letter_delivery != "print" or not e.letter_printed_at
        )
        if not_printed:
            raise UserError(
                self.env._(
                    "Only printed letters can be marked as posted: %(letters)s.",
                    letters=", ".join(not_printed.mapped("display_name")),
                )
            )
        today = fields.Date.context_today(self)
        local = self.with_context(tz=self.company_id[:1].partner_id.tz or "UTC")
        for event in self:
            printed = fields.Date.context_today(local, event.letter_printed_at)
            if not printed <= posted_date <= today:
                raise UserError(
                    self.env._(
                        "A letter is posted on or after the day it was printed "
                        "(%(date)s), and not in the future.",
                        date=format_date(self.env, printed),
                    )
                )
        events = self.sudo()
        events.write({"letter_posted_date": posted_date})
        # Midday UTC is the posting date in every Brazilian time zone.
        when = datetime.combine(posted_date, time(12))
        detail = self.env._("Marked as posted by %(user)s.", user=self.env.user.name)
        self.env["collection.ruler.delivery"]._set_delivery(
            events, "posted", when, detail=detail
        )
        events.move_id._message_log_batch(
            bodies=dict.fromkeys(
                events.move_id.ids,
                self.env._(
                    "Collection letter posted on %(date)s (recorded by %(user)s).",
                    date=format_date(self.env, posted_date),
                    user=self.env.user.name,
                ),
            )
        )
        return events
