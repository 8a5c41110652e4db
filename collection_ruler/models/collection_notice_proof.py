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

from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.misc import format_date

from ..tools.status import NOT_DELIVERED
from .collection_channel import dry_run


class CollectionNoticeProof(models.AbstractModel):
    _name = "collection.notice.proof"
    _description = "Collection Proof of Notice"

    @api.model
    def _get_proof(self, notice):
        """When ``notice`` reached the customer, from its evidence.

        :param notice: a collection.ruler.event

        :return: (date, False) when proven, else (False, translated reason)
        """
        notice.ensure_one()
        if notice.covered_event_id:
            # No letter of its own: the earlier letter that claimed the invoice.
            return self._get_proof(notice.covered_event_id)
        company = notice.company_id
        local = notice.with_context(tz=company.partner_id.tz or "UTC")
        rows = notice.sudo().evidence_ids
        if not rows and notice.delivery_state:
            # A notice sent before evidence was kept: its last status.
            receipts = [(notice.delivery_state, notice.delivery_date)]
        else:
            receipts = [
                (row.receipt_state, row.sent_at)
                for row in rows
                if row.kind == "receipt"
            ]
        channel = notice.step_id._get_channel()
        emailed = channel._is_emailed(notice)
        bounced = any(state in NOT_DELIVERED for state, _at in receipts)
        # A bounce disproves an email, whatever came before it.
        proving = () if emailed and bounced else channel._get_proof_states(notice)
        dates = [
            fields.Date.context_today(local, at)
            for state, at in receipts
            if state in proving and at
        ]
        if notice.letter_posted_date:
            dates.append(notice.letter_posted_date)
        if dates:
            return min(dates), False
        if emailed and bounced:
            return False, self.env._("the email bounced or was not delivered")
        if emailed and company.collection_notice_accept_queued and notice.executed_at:
            return fields.Date.context_today(local, notice.executed_at), False
        if notice.letter_delivery == "print":
            if notice.letter_printed_at:
                return False, self.env._(
                    "the letter was printed but not marked as posted"
                )
            return False, self.env._("the letter has not been printed yet")
        return False, self.env._("no delivery receipt came back yet")

    @api.model
    def _print_undelivered(self, events, reasons):
        """Send the debit notices among ``events`` that did not reach their
        customer, and have no fallback step of their own, to the letters to
        print: the registration that depends on them waits instead of failing.

        :param events: collection.ruler.event records that did not reach
            their customer
        :param dict reasons: {event id: translated one-line reason}
        :return: the events sent to print
        """
        notices = events.filtered(
            lambda e: e.state == "done"
            and e.step_id.serves_as_debit_notice
            and not e.step_id.fallback_step_ids
            and e.letter_delivery != "print"
        )
        for notice in notices:
            self._fall_back_to_printed_notice(notice, reason=reasons.get(notice.id))
        return notices

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
            return notices.browse()
        latest = notices.sorted(lambda n: (n.executed_at, n.id))[-1]
        company = latest.company_id
        local = self.with_context(tz=company.partner_id.tz or "UTC")
        sent = fields.Date.context_today(local, latest.executed_at)
        days = company.collection_notice_proof_days
        if today and today < sent + timedelta(days=days):
            return notices.browse()
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
