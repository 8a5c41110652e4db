import base64
import logging
import re
import threading
import time
from collections import defaultdict
from datetime import timedelta

import phonenumbers
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL, config
from odoo.tools.misc import format_date
from odoo.tools.pdf import merge_pdf

_logger = logging.getLogger(__name__)

# Without a configured time limit for crons, one cron call stops starting new
# invoices after this many seconds; the cron is triggered again for the rest.
DEFAULT_TIME_BUDGET = 240
DEFAULT_BATCH_SIZE = 200
# A debt older than this is never registered with a credit bureau (consumer
# code, art. 43, paragraphs 1 and 5).
BUREAU_MAX_DEBT_AGE_YEARS = 5

# The report of each letter type of a step.
LETTER_REPORTS = {
    "debit_notice": "collection_ruler.action_report_debit_notice",
    "nej_light": "collection_ruler.action_report_nej_light",
    "nej_moderate": "collection_ruler.action_report_nej_moderate",
    "nej_heavy": "collection_ruler.action_report_nej_heavy",
}


class CollectionDeferred(Exception):
    """Raised by a channel that cannot run yet: the event waits until ``date``."""

    def __init__(self, date, reason):
        super().__init__(reason)
        self.date = date
        self.reason = reason


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
    ruler_id = fields.Many2one(
        comodel_name="collection.ruler", string="Ruler", index=True
    )
    step_id = fields.Many2one(
        comodel_name="collection.ruler.step",
        string="Step",
        required=True,
        ondelete="cascade",
        index=True,
    )
    step_sequence = fields.Integer()
    company_id = fields.Many2one(comodel_name="res.company", required=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    channel = fields.Selection(
        selection=lambda self: (
            self.env["collection.ruler.step"]
            ._fields["channel"]
            ._description_selection(self.env)
        ),
        required=True,
    )

    # === Schedule and outcome === #
    scheduled_date = fields.Date(required=True, index=True)
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
    failure_reason = fields.Text(string="Reason")
    amount_residual = fields.Monetary(
        string="Amount Due When Run",
        currency_field="currency_id",
        help="What the customer still owed when the step ran.",
    )

    # === What the step produced === #
    message_id = fields.Many2one(
        comodel_name="mail.message", string="Message", ondelete="set null"
    )
    sms_id = fields.Many2one(comodel_name="sms.sms", string="SMS", ondelete="set null")
    sms_number = fields.Char(string="SMS Number")
    activity_id = fields.Many2one(
        comodel_name="mail.activity", string="Activity", ondelete="set null"
    )
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
            ("print", "To Print"),
            ("withdrawn", "Withdrawn"),
        ],
        readonly=True,
        help="Withdrawn: the letter was waiting to be printed when its invoice "
        "stopped being collected, so it was never mailed.",
    )
    letter_deadline = fields.Date(
        readonly=True, help="The date the letter gives the customer to pay by."
    )
    letter_printed_at = fields.Datetime(string="Printed On", readonly=True)
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
        # The cron looks for due events with one search: a partial index on
        # the scheduled ones keeps that search cheap however many events ran.
        tools.create_index(
            self._cr,
            "collection_ruler_event_due_index",
            self._table,
            ["company_id", "scheduled_date"],
            where="state = 'scheduled'",
        )

    # ------------------------------------------------------------------
    # Cron entry point
    # ------------------------------------------------------------------

    @api.model
    def _cron_run(self):
        """Entry point of the daily scheduled action.

        The cron's user may not be allowed in every company, while the run
        serves all of them: it runs as superuser, each event in its own
        invoice's company.
        """
        self.sudo()._run_due_events()
        self.env["collection.bureau.registration"].sudo()._cron_request_removals()

    @api.model
    def _get_batch_size(self):
        """Return how many events one batch processes before committing."""
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("collection_ruler.batch_size")
        )
        try:
            return max(int(value), 1) if value else DEFAULT_BATCH_SIZE
        except ValueError:
            return DEFAULT_BATCH_SIZE

    @api.model
    def _get_time_budget(self):
        """Seconds one cron call may spend before leaving the rest for later.

        Half of the workers' real-time limit for crons, so that a slow batch
        (letters render PDFs) never gets the worker killed and rolled back.
        """
        limit = config.get("limit_time_real_cron")
        if not limit or limit < 0:
            limit = config.get("limit_time_real")
        return limit / 2 if limit and limit > 0 else DEFAULT_TIME_BUDGET

    @api.model
    def _get_company_today(self, company):
        """Return today's date in the company's time zone.

        :param company: a res.company record
        :return: a date
        """
        tz = company.partner_id.tz or "UTC"
        return fields.Date.context_today(self.with_context(tz=tz))

    @api.model
    def _get_due_domain(self, companies, rulers=None):
        """Domain of the scheduled events whose date has come.

        :param companies: the res.company records to run for
        :param rulers: optionally restrict to these collection.ruler records
        :return: a search domain
        """
        companies_by_today = defaultdict(list)
        for company in companies:
            companies_by_today[self._get_company_today(company)].append(company.id)
        date_domain = expression.OR(
            [
                [("company_id", "in", company_ids), ("scheduled_date", "<=", today)]
                for today, company_ids in companies_by_today.items()
            ]
        )
        domain = expression.AND([[("state", "=", "scheduled")], date_domain])
        if rulers is not None:
            domain = expression.AND([domain, [("ruler_id", "in", rulers.ids)]])
        return domain

    @api.model
    def _run_due_events(self, rulers=None, companies=None, batch_size=None):
        """Run every due event, in batches, committing between them.

        Each batch holds every due event of the invoices it covers, so the
        catch-up rule (only the latest due step of an invoice runs) sees all of
        them. A crash loses at most the batch under way, which the next run
        redoes: nothing is marked done without being sent, nothing twice.

        :param rulers: optionally restrict to these collection.ruler records
        :param companies: res.company records to run for (default: all)
        :param int batch_size: events per batch (default: system parameter)
        :return: dict of counters: done, failed, deferred, skipped, cancelled
        """
        if companies is None:
            companies = self.env["res.company"].sudo().search([])
        batch_size = batch_size or self._get_batch_size()
        counters = dict.fromkeys(
            ("done", "failed", "deferred", "skipped", "cancelled"), 0
        )
        domain = self._get_due_domain(companies, rulers)
        deadline = time.monotonic() + self._get_time_budget()
        processed = 0
        seen = self.browse()
        while True:
            batch = self.search(domain, order="move_id, id", limit=batch_size)
            if not batch or batch & seen:
                # ``batch & seen``: an event that stayed scheduled after its
                # batch would loop forever; stop rather than spin.
                break
            batch |= self.search(
                expression.AND([domain, [("move_id", "in", batch.move_id.ids)]])
            )
            seen |= batch
            finished = batch._process_batch(counters, deadline=deadline)
            processed += len(batch)
            remaining = self.search_count(domain)
            self.env["ir.cron"]._notify_progress(done=processed, remaining=remaining)
            self._commit_batch()
            if not remaining:
                break
            if not finished or time.monotonic() > deadline:
                self.env.ref("collection_ruler.ir_cron_collection_ruler_run")._trigger()
                break
        _logger.info("Collection run: %s", counters)
        return counters

    @api.model
    def _commit_batch(self):
        """Commit a finished batch so a later crash cannot undo what was sent.

        Tests run inside one transaction that they roll back, so no commit
        happens there.
        """
        if getattr(threading.current_thread(), "testing", False):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit

    # ------------------------------------------------------------------
    # Batch processing
    # ------------------------------------------------------------------

    def _process_batch(self, counters, deadline=None):
        """Run one batch of due events: every due event of a set of invoices.

        :param dict counters: updated in place
        :param float deadline: a ``time.monotonic()`` value after which no
            further invoice is started; its events stay scheduled
        :return: True when every invoice of the batch was processed
        """
        moves = self.move_id
        # Bring the schedule up to date first: the ruler, the due date or the
        # payment state may have changed since the events were planned.
        moves._collection_sync_events()
        cancelled = self.filtered(lambda e: e.state == "cancelled")
        counters["cancelled"] += len(cancelled)
        events = self.filtered(lambda e: e.state == "scheduled")
        todays = {}
        by_move = defaultdict(lambda: self.browse())
        for event in events:
            company = event.company_id
            if company not in todays:
                todays[company] = self._get_company_today(company)
            if event.scheduled_date <= todays[company]:
                by_move[event.move_id] |= event
        for index, move_events in enumerate(by_move.values()):
            if index and deadline and time.monotonic() > deadline:
                return False
            ordered = move_events.sorted(
                lambda e: (e.scheduled_date, e.step_sequence, e.step_id.id)
            )
            latest, stale = ordered[-1], ordered[:-1]
            mandatory = stale.filtered(lambda e: e.step_id._is_mandatory())
            stale -= mandatory
            notices = mandatory.filtered(lambda e: e.step_id._is_debit_notice())
            if notices and not latest.step_id._is_mandatory():
                # A late debit notice goes out alone: a later letter would
                # refer to a notice the customer has not received yet.
                stale |= latest
                latest = notices[-1]
                mandatory -= latest
            if stale:
                stale._mark_skipped(latest)
                counters["skipped"] += len(stale)
            to_run = mandatory | latest
            for event in ordered.filtered(lambda e, to_run=to_run: e in to_run):
                outcome = event.with_company(event.company_id)._execute()
                counters[outcome] += 1
        return True

    def _mark_skipped(self, latest):
        """Skip missed steps that a later due step supersedes."""
        reason = self.env._(
            "Skipped: the run was late and step %(step)s was sent instead, so "
            "the customer does not receive a burst of stale messages.",
            step=latest.step_id.name,
        )
        self.write(
            {
                "state": "skipped",
                "executed_at": fields.Datetime.now(),
                "failure_reason": reason,
            }
        )
        latest.move_id._message_log(
            body=self.env._(
                "Collection: missed steps skipped: %(steps)s.",
                steps=", ".join(self.step_id.mapped("name")),
            )
        )

    def _execute(self):
        """Run this event through its channel, in a savepoint of its own.

        :return: "done" when it ran, "deferred" when a legal guard postponed
            it, "failed" when it failed
        """
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                values = getattr(self, f"_execute_{self.channel}")()
                values.update(
                    state="done",
                    executed_at=fields.Datetime.now(),
                    amount_residual=self.move_id.amount_residual,
                    failure_reason=False,
                )
                self.write(values)
            return "done"
        except CollectionDeferred as deferral:
            repeated = self.failure_reason == deferral.reason
            self.write(
                {
                    "scheduled_date": deferral.date,
                    "deferred_until": deferral.date,
                    "failure_reason": deferral.reason,
                }
            )
            if not repeated:
                self.move_id._message_log(
                    body=self.env._(
                        "Collection step %(step)s deferred: %(reason)s",
                        step=self.step_id.name,
                        reason=deferral.reason,
                    )
                )
            return "deferred"
        except Exception as error:  # noqa: BLE001 - one bad event never stops a run
            reason = self._get_failure_reason(error)
            _logger.warning(
                "Collection event %s (invoice %s, step %s) failed: %s",
                self.id,
                self.move_id.id,
                self.step_id.id,
                reason,
            )
            self.write(
                {
                    "state": "failed",
                    "executed_at": fields.Datetime.now(),
                    "failure_reason": reason,
                }
            )
            self.move_id._message_log(
                body=self.env._(
                    "Collection step %(step)s failed: %(reason)s",
                    step=self.step_id.name,
                    reason=reason,
                )
            )
            return "failed"

    @api.model
    def _get_failure_reason(self, error):
        """Turn an exception into a reason a person can read."""
        if isinstance(error, UserError):
            return str(error.args[0]) if error.args else str(error)
        return self.env._(
            "Unexpected error (%(type)s): %(error)s",
            type=type(error).__name__,
            error=str(error),
        )

    # ------------------------------------------------------------------
    # Channels: one ``_execute_<channel>`` hook each, returning the values
    # to write on the event. Raise UserError to fail the event.
    # ------------------------------------------------------------------

    def _execute_email(self):
        """Post the step's email on the invoice and mail it to the customer.

        :return: dict of values to write on the event
        """
        step = self.step_id
        attachments = [self._get_invoice_pdf()] if step.attach_invoice else []
        message = self._send_template_email(step.mail_template_id, attachments)
        return {"message_id": message.id}

    def _send_template_email(self, template, attachments=(), attachment_ids=()):
        """Render ``template`` for the invoice, post it and mail it.

        :param template: mail.template record
        :param attachments: extra (file name, content) pairs to attach
        :param attachment_ids: ids of existing ir.attachment records to attach
        :return: the posted mail.message
        :raise UserError: when there is no template or no valid recipient
        """
        move, step = self.move_id, self.step_id
        if not template:
            raise UserError(
                self.env._("Step %(step)s has no email template.", step=step.name)
            )
        rendered = template._generate_template(
            move.ids,
            (
                "attachment_ids",
                "body_html",
                "email_cc",
                "email_from",
                "email_to",
                "partner_to",
                "reply_to",
                "report_template_ids",
                "subject",
            ),
            find_or_create_partners=True,
        )[move.id]
        partners = self.env["res.partner"].browse(rendered.get("partner_ids", []))
        recipients = partners.filtered("email_normalized")
        if not recipients:
            raise UserError(
                self.env._(
                    "%(customer)s has no valid email address.",
                    customer=(partners[:1] or move.partner_id).display_name,
                )
            )
        attachments = [
            (name, base64.b64decode(data))
            for name, data in rendered.get("attachments", [])
        ] + list(attachments)
        attachments += [
            (attachment.name, attachment.raw)
            for attachment in self.env["ir.attachment"].browse(
                rendered.get("attachment_ids", [])
            )
        ]
        return move.with_context(mail_notify_force_send=False).message_post(
            body=rendered.get("body_html") or "",
            subject=rendered.get("subject"),
            partner_ids=recipients.ids,
            email_from=rendered.get("email_from") or None,
            reply_to=rendered.get("reply_to") or None,
            attachments=attachments,
            attachment_ids=list(attachment_ids),
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
            email_layout_xmlid=template.email_layout_xmlid
            or "mail.mail_notification_light",
            mail_auto_delete=template.auto_delete,
        )

    def _get_invoice_pdf(self):
        """Return the invoice PDF as a (file name, content) pair."""
        move = self.move_id
        if move.invoice_pdf_report_id:
            return move.invoice_pdf_report_id.name, move.invoice_pdf_report_id.raw
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "account.account_invoices", move.ids
        )
        return move._get_invoice_report_filename(), content

    def _execute_sms(self):
        """Queue the step's SMS to the customer's mobile number.

        :return: dict of values to write on the event
        """
        move, step = self.move_id, self.step_id
        if not step.sms_template_id:
            raise UserError(
                self.env._("Step %(step)s has no SMS template.", step=step.name)
            )
        partner = move.partner_id
        number = self._get_sms_number(partner)
        body = step.sms_template_id._render_field("body", move.ids, compute_lang=True)[
            move.id
        ]
        if not body or not body.strip():
            raise UserError(
                self.env._(
                    "The SMS template of step %(step)s rendered an empty text.",
                    step=step.name,
                )
            )
        # ``put_in_queue``: the SMS is sent by Odoo's SMS queue after this
        # transaction commits, never from inside a batch that could roll back.
        message = move._message_sms(
            body,
            partner_ids=partner.ids,
            sms_pid_to_number={partner.id: number},
            put_in_queue=True,
        )
        sms = (
            self.env["sms.sms"]
            .sudo()
            .search([("mail_message_id", "=", message.id)], limit=1)
        )
        return {"message_id": message.id, "sms_id": sms.id, "sms_number": number}

    def _get_sms_number(self, partner):
        """Return the partner's mobile number in E.164 form.

        The number is read with the partner's country, then the company's.

        :param partner: res.partner record
        :return: str, the E.164 number
        :raise UserError: when there is no number or it is not valid
        """
        raw = partner.mobile or partner.phone
        if not raw:
            raise UserError(
                self.env._(
                    "%(customer)s has no mobile number.", customer=partner.display_name
                )
            )
        country = partner.country_id or self.company_id.country_id
        try:
            parsed = phonenumbers.parse(raw, country.code or None)
        except phonenumbers.NumberParseException:
            parsed = None
        if not parsed or not phonenumbers.is_valid_number(parsed):
            raise UserError(
                self.env._(
                    "The number %(number)s of %(customer)s is not a valid phone "
                    "number.",
                    number=raw,
                    customer=partner.display_name,
                )
            )
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

    def _execute_call(self):
        """Schedule a call activity on the invoice for the responsible user.

        :return: dict of values to write on the event
        """
        move, step = self.move_id, self.step_id
        user = step.activity_user_id or move.invoice_user_id or move.create_uid
        activity_type = step.activity_type_id or self.env.ref(
            "mail.mail_activity_data_call"
        )
        activity = move.with_context(mail_activity_quick_update=True).activity_schedule(
            activity_type_id=activity_type.id,
            summary=step.activity_summary or step.name,
            note=step.activity_note,
            user_id=user.id,
            date_deadline=self._get_company_today(self.company_id),
        )
        move._message_log(
            body=self.env._(
                "Collection step %(step)s: call scheduled for %(user)s.",
                step=step.name,
                user=user.name,
            )
        )
        return {"activity_id": activity.id}

    def _execute_letter(self):
        """Render the step's letter, keep it on the invoice and deliver it.

        The letter is emailed with the step's template when the step asks for
        it and the customer has an email address; otherwise it waits in the
        letters to print.

        :return: dict of values to write on the event
        """
        move, step = self.move_id, self.step_id
        self._check_letter_creditor()
        name, content = self._render_letter()
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": content,
                "res_model": "account.move",
                "res_id": move.id,
                "mimetype": "application/pdf",
            }
        )
        values = {
            "letter_attachment_id": attachment.id,
            "letter_deadline": self._get_letter_deadline(),
        }
        partner = move.partner_id
        if step.letter_send_email and partner.email_normalized:
            message = self._send_template_email(
                step.mail_template_id, attachment_ids=attachment.ids
            )
            values.update(message_id=message.id, letter_delivery="email")
            return values
        message = move._message_log(
            body=self.env._(
                "Collection step %(step)s: the letter is waiting to be printed and "
                "mailed.",
                step=step.name,
            ),
            attachment_ids=attachment.ids,
        )
        values.update(message_id=message.id, letter_delivery="print")
        return values

    def _check_letter_creditor(self):
        """Refuse a letter that would not identify its creditor.

        Brazil's consumer code (art. 42-A) requires the creditor's name,
        address and CNPJ on every collection document.
        """
        company = self.company_id
        if not company.vat or not company.partner_id.street:
            raise UserError(
                self.env._(
                    "Collection letters must identify the creditor: fill in the "
                    "tax id (CNPJ) and the address of %(company)s.",
                    company=company.name,
                )
            )

    @api.model
    def _get_letter_report(self, letter_type):
        """The report (ir.actions.report) printing a letter type.

        Override to add letter types to the step's ``letter_type`` selection.
        """
        return self.env.ref(LETTER_REPORTS[letter_type])

    def _get_letter_context(self, date=None):
        """The context of this event's letter: its date and days to pay."""
        date = date or self._get_company_today(self.company_id)
        return {
            "collection_deadline_days": self.step_id.deadline_days,
            "collection_date": fields.Date.to_string(date),
        }

    def _get_letter_deadline(self, date=None):
        """The deadline this event's letter gives, when dated ``date``."""
        move = self.move_id.with_context(**self._get_letter_context(date))
        return move._collection_get_letter_deadline(self.step_id.letter_type)

    def _render_letter(self, date=None):
        """Render this event's letter as a PDF in the customer's language.

        :param date: the letter's date (default: today)
        :return: (file name, PDF content) pair
        """
        move, step = self.move_id, self.step_id
        report = self._get_letter_report(step.letter_type)
        content, _report_type = (
            self.env["ir.actions.report"]
            .with_context(**self._get_letter_context(date))
            ._render_qweb_pdf(report, move.ids)
        )
        letter_label = dict(
            step._fields["letter_type"]._description_selection(
                self.with_context(lang=move.partner_id.lang).env
            )
        )[step.letter_type]
        name = f"{letter_label} - {move.name}.pdf".replace("/", "-")
        return name, content

    def action_print_pending_letters(self):
        """Merge every letter waiting to be printed into one PDF to download.

        Called on a selection, only its letters are printed; called on no
        record, every pending letter the user can see. Letters are rendered
        again, dated today, so their deadline runs from the day they are
        mailed, and they are marked printed, which starts the notice period of
        a debit notice. Letters of invoices that can no longer be collected
        (paid, excluded...) are withdrawn instead. Any collection user may
        print: the search applies their access rights.

        :return: an action downloading the merged PDF
        """
        domain = [("letter_to_print", "=", True), ("letter_attachment_id", "!=", False)]
        if self.ids:
            domain = expression.AND([domain, [("id", "in", self.ids)]])
        events = self.search(domain, order="partner_id, move_id, id")
        if events:
            # Two people printing at once must not both print the same letters.
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM collection_ruler_event WHERE id IN %s "
                    "FOR UPDATE SKIP LOCKED",
                    tuple(events.ids),
                )
            )
            locked = {row[0] for row in self.env.cr.fetchall()}
            events = events.filtered(lambda e: e.id in locked)
        withdrawn = events.filtered(lambda e: e.move_id._collection_get_stop_reason())
        if withdrawn:
            withdrawn.sudo().write({"letter_delivery": "withdrawn"})
            events -= withdrawn
        if not events:
            raise UserError(self.env._("No letter is waiting to be printed."))
        events = events.sudo()
        contents = []
        for event in events:
            name, content = event.with_company(event.company_id)._render_letter()
            event.letter_attachment_id.write({"name": name, "raw": content})
            event.letter_deadline = event._get_letter_deadline()
            contents.append(content)
        now = fields.Datetime.now()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Collection letters %(date)s.pdf",
                    date=fields.Datetime.to_string(now).replace(":", "-"),
                ),
                "raw": merge_pdf(contents),
                "mimetype": "application/pdf",
                "res_model": self._name,
            }
        )
        events.write({"letter_printed_at": now})
        for move in events.move_id:
            move._message_log(
                body=self.env._(
                    "Collection letter printed by %(user)s.", user=self.env.user.name
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    def _get_letter_sent_date(self):
        """The date a letter reached the customer's hands: emailed or printed.

        :return: a date, or False while it waits to be printed
        """
        self.ensure_one()
        if self.letter_delivery == "email":
            sent_at = self.executed_at
        else:
            sent_at = self.letter_printed_at
        if not sent_at:
            return False
        tz_self = self.with_context(tz=self.company_id.partner_id.tz or "UTC")
        return fields.Date.context_today(tz_self, sent_at)

    def _check_bureau_debtor(self, today):
        """Refuse a registration the bureau could not or must not take.

        :param today: the date of the run
        :raise UserError: without a valid CPF/CNPJ, or for a debt over five
            years old
        """
        move = self.move_id
        debtor = move.commercial_partner_id
        digits = re.sub(r"\D", "", debtor.vat or "")
        if len(digits) not in (11, 14):
            raise UserError(
                self.env._(
                    "%(customer)s has no valid CPF/CNPJ: a credit bureau cannot "
                    "register a debtor without one.",
                    customer=debtor.display_name,
                )
            )
        oldest = today - relativedelta(years=BUREAU_MAX_DEBT_AGE_YEARS)
        if move.invoice_date_due < oldest:
            raise UserError(
                self.env._(
                    "The invoice fell due more than five years ago: the consumer "
                    "code (art. 43, paragraphs 1 and 5) forbids registering it."
                )
            )

    def _execute_credit_bureau(self):
        """Register the debtor with a credit bureau, once the law allows it.

        Brazil's consumer code (art. 43, paragraph 2) requires a written notice
        before the registration: a debit notice of this invoice must have been
        delivered at least the notice period of the debtor's state earlier.
        Before then the event is deferred; with no debit notice it fails.

        :return: dict of values to write on the event
        :raise CollectionDeferred: while the notice period runs
        """
        move = self.move_id
        debtor = move.commercial_partner_id
        today = self._get_company_today(self.company_id)
        self._check_bureau_debtor(today)
        notices = self.search(
            [
                ("move_id", "=", move.id),
                ("channel", "=", "letter"),
                ("step_id.letter_type", "=", "debit_notice"),
                ("state", "=", "done"),
            ],
            order="executed_at",
        )
        if not notices:
            raise UserError(
                self.env._(
                    "No debit notice was sent for this invoice: a debtor is "
                    "registered with a credit bureau only after a written notice "
                    "(consumer code, art. 43, paragraph 2). Add a debit notice "
                    "step before this one."
                )
            )
        delivered = [(n._get_letter_sent_date(), n) for n in notices]
        delivered = sorted((d, n) for d, n in delivered if d)
        if not delivered:
            raise CollectionDeferred(
                today + timedelta(days=1),
                self.env._(
                    "The debit notice has not been printed yet: the registration "
                    "waits until it is delivered."
                ),
            )
        sent_date, notice = delivered[0]
        notice_days = debtor._collection_get_bureau_notice_days(self.company_id)
        allowed = sent_date + timedelta(days=notice_days)
        if notice.letter_deadline:
            # Never before the day after the deadline the notice announced.
            allowed = max(allowed, notice.letter_deadline + timedelta(days=1))
        if today < allowed:
            raise CollectionDeferred(
                allowed,
                self.env._(
                    "The debit notice was delivered on %(date)s; with the %(days)s "
                    "days of notice the debtor is given, the registration waits "
                    "until %(allowed)s.",
                    date=format_date(self.env, sent_date),
                    days=notice_days,
                    allowed=format_date(self.env, allowed),
                ),
            )
        Registration = self.env["collection.bureau.registration"].sudo()
        registration = Registration.create(
            Registration._prepare_registration_values(self, sent_date)
        )
        move._message_log(
            body=self.env._(
                "Collection step %(step)s done: see the credit bureau registrations.",
                step=self.step_id.name,
            )
        )
        return {"registration_id": registration.id}
