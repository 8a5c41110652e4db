"""Proof of notice: when a debit notice counts as delivered.

A debtor is registered with a credit bureau only after a written notice
that the creditor can prove reached them. STJ's Tema 1.315 (2nd Section,
5 March 2026) holds an electronic notice valid "desde que comprovados o
envio da notificação e a respectiva entrega ao destinatário"; STJ's Súmula
404 needs no return receipt for a posted letter. So a notice is delivered:

- printed and marked as posted, on the posting date;
- emailed, once the mail server accepted it and no bounce came back (a
  queued email counts only when the company says so, at its own risk);
- by SMS or WhatsApp, on the delivery receipt;
- by a recorded call, once a person answered.

The proof comes from the notice's evidence (collection_evidence.py). A
notice still unproven after the company's days (``res.company``'s
``collection_notice_proof_days``), or one that bounced, falls back to a
printed letter, which the registration then waits for.
"""

from datetime import datetime, time, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .collection_channel import dry_run

# The receipts that prove a notice, by how it went out (a printed letter is
# proven by its posting date).
PROOF_STATES = {
    "email": ("sent", "delivered", "read"),
    "electronic": ("delivered", "read", "answered"),
}
NOT_DELIVERED = ("bounced", "failed")


class CollectionRulerStep(models.Model):
    _inherit = "collection.ruler.step"  # pylint: disable=consider-merging-classes-inherited

    serves_as_debit_notice = fields.Boolean(
        string="Serves as Debit Notice",
        compute="_compute_serves_as_debit_notice",
        store=True,
        readonly=False,
        help="The message of this step is the written notice that comes before "
        "a credit-bureau registration. A debit-notice letter always is.",
    )

    @api.depends("channel", "letter_type")
    def _compute_serves_as_debit_notice(self):
        for step in self:
            if step.channel == "letter":
                step.serves_as_debit_notice = step.letter_type == "debit_notice"
            elif step.channel in ("call", "credit_bureau"):
                step.serves_as_debit_notice = False


class CollectionRulerEvent(models.Model):
    _inherit = "collection.ruler.event"  # pylint: disable=consider-merging-classes-inherited

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

    def _get_notice_proof(self):
        """When this notice reached the customer, from its evidence.

        :return: (date, False) when proven, else (False, translated reason)
        """
        self.ensure_one()
        if self.covered_event_id:
            # No letter of its own: the earlier letter that claimed the invoice.
            return self.covered_event_id._get_notice_proof()
        company = self.company_id
        local = self.with_context(tz=company.partner_id.tz or "UTC")
        rows = self.sudo().evidence_ids
        if not rows and self.delivery_state:
            # A notice sent before evidence was kept: its last status.
            receipts = [(self.delivery_state, self.delivery_date)]
        else:
            receipts = [
                (row.receipt_state, row.sent_at)
                for row in rows
                if row.kind == "receipt"
            ]
        emailed = self.channel == "email" or self.letter_delivery == "email"
        bounced = any(state in NOT_DELIVERED for state, _at in receipts)
        proving = ()
        if emailed and not bounced:
            proving = PROOF_STATES["email"]
        elif self.channel not in ("email", "letter"):
            proving = PROOF_STATES["electronic"]
        dates = [
            fields.Date.context_today(local, at)
            for state, at in receipts
            if state in proving and at
        ]
        if self.letter_posted_date:
            dates.append(self.letter_posted_date)
        if dates:
            return min(dates), False
        if emailed and bounced:
            return False, self.env._("the email bounced or was not delivered")
        if emailed and company.collection_notice_accept_queued and self.executed_at:
            return fields.Date.context_today(local, self.executed_at), False
        if self.letter_delivery == "print":
            if self.letter_printed_at:
                return False, self.env._(
                    "the letter was printed but not marked as posted"
                )
            return False, self.env._("the letter has not been printed yet")
        return False, self.env._("no delivery receipt came back yet")

    def _fail_after_run(self, reasons):
        # A debit notice that did not reach its customer, with no fallback
        # step of its own, is printed to be posted: the registration that
        # depends on it waits instead of failing.
        notices = self.filtered(
            lambda e: e.state == "done"
            and e.step_id.serves_as_debit_notice
            and not e.step_id.fallback_step_ids
            and e.letter_delivery != "print"
        )
        for notice in notices:
            self._fall_back_to_printed_notice(notice, reason=reasons.get(notice.id))
        return super(CollectionRulerEvent, self - notices)._fail_after_run(reasons)

    @api.model
    def _fall_back_to_printed_notice(self, notices, today=None, reason=None):
        """Print the latest notice when none is proven after the company's days.

        The latest notice goes to the letters to print (rendered as a debit
        notice when its step sent another channel), unless one already waits
        there or was printed.

        :param notices: collection.ruler.event records, none proven
        :param today: the run's date; None prints it now, whatever its age
        :param reason: why the notice did not reach the customer, if known
        :return: the event queued for printing, or an empty recordset
        """
        if not notices or notices.filtered(lambda n: n.letter_delivery == "print"):
            return self.browse()
        latest = notices.sorted(lambda n: (n.executed_at, n.id))[-1]
        company = latest.company_id
        local = self.with_context(tz=company.partner_id.tz or "UTC")
        sent = fields.Date.context_today(local, latest.executed_at)
        days = company.collection_notice_proof_days
        if today and today < sent + timedelta(days=days):
            return self.browse()
        if dry_run(self.env):
            return latest  # a Preview renders no letter
        latest = latest.sudo()
        Letter = self.env["collection.channel.letter"].with_company(company)
        if not latest.letter_attachment_id:
            values = Letter._prepare_letter(latest).values
        else:
            values = {}
        latest.write({**values, "letter_delivery": "print"})
        if reason:
            body = self.env._(
                "Collection: the debit notice of %(date)s did not reach the "
                "customer (%(reason)s). It waits to be printed and posted.",
                date=format_date(self.env, sent),
                reason=reason,
            )
        else:
            body = self.env._(
                "Collection: no proof that the debit notice of %(date)s reached the "
                "customer after %(days)s days. It waits to be printed and posted.",
                date=format_date(self.env, sent),
                days=days,
            )
        latest.move_id._message_log(body=body)
        return latest

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
        events._set_delivery("posted", when, detail=detail)
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


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    collection_evidence_ids = fields.One2many(
        comodel_name="collection.evidence",
        inverse_name="move_id",
        string="Collection Evidence",
        readonly=True,
    )


class CollectionBureauRegistration(models.Model):
    _inherit = "collection.bureau.registration"  # pylint: disable=consider-merging-classes-inherited

    proof_attachment_id = fields.Many2one(
        comodel_name="ir.attachment",
        string="Proof of Notice",
        readonly=True,
        ondelete="restrict",
        help="The invoice's collection contacts and their evidence, as they "
        "stood when the registration was created.",
    )

    def _attach_proof_of_notice(self):
        """Print the invoice's proof of notice and attach it to each registration."""
        report = self.env.ref("collection_ruler.action_report_proof_of_notice")
        for registration in self:
            move = registration.move_id
            content, _report_type = (
                self.env["ir.actions.report"]
                .sudo()
                .with_company(registration.company_id)
                ._render_qweb_pdf(report, move.ids)
            )
            name = self.env._(
                "Proof of notice - %(invoice)s.pdf",
                invoice=(move.name or "").replace("/", "-"),
            )
            registration.proof_attachment_id = self.env["ir.attachment"].create(
                {
                    "name": name,
                    "raw": content,
                    "res_model": registration._name,
                    "res_id": registration.id,
                    "mimetype": "application/pdf",
                }
            )
