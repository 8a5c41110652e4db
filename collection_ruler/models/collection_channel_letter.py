import time

from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools.misc import format_date

from .collection_channel import Outcome

# The report of each letter type of a step.
LETTER_REPORTS = {
    "debit_notice": "collection_ruler.action_report_debit_notice",
    "nej_light": "collection_ruler.action_report_nej_light",
    "nej_moderate": "collection_ruler.action_report_nej_moderate",
    "nej_heavy": "collection_ruler.action_report_nej_heavy",
}


class CollectionChannelLetter(models.AbstractModel):
    """Letter: a debit notice or an extrajudicial notice, as a PDF.

    The letter is kept on the invoice and emailed with the step's template
    when the step asks for it and the customer has an email address;
    otherwise it waits in the letters to print. A debit notice is a legal
    step: a late run never skips it, and sends it instead of a later letter,
    which would refer to a notice the customer has not received yet.
    """

    _name = "collection.channel.letter"
    _inherit = "collection.channel"
    _description = "Collection Channel: Letter"
    _digest = True
    _legal_weight = True

    @api.model
    def _get_traits(self, step):
        traits = super()._get_traits(step)
        if step.letter_type == "debit_notice":
            traits.update(never_skipped=True, sent_alone_when_late=True)
        return traits

    @api.model
    def _get_digest_key(self, event):
        # A letter claims every overdue invoice of its customer: invoices at
        # one letter type share one letter a day, those not overdue get none.
        move = event.move_id
        overdue = bool(move.invoice_date_due) and (
            move.invoice_date_due < move._collection_get_today()
        )
        return (event.step_id.letter_type, overdue)

    @api.model
    def _get_step_defaults(self):
        template = self.env.ref(
            "collection_ruler.mail_template_collection_letter",
            raise_if_not_found=False,
        )
        defaults = {"letter_type": "debit_notice"}
        if template:
            defaults["mail_template_id"] = template.id
        return defaults

    @api.model
    def _check_step(self, step):
        errors = []
        if not step.letter_type:
            errors.append(
                self.env._(
                    "Step %(name)s prints a letter: choose which one.", name=step.name
                )
            )
        if step.letter_send_email and not step.mail_template_id:
            errors.append(
                self.env._(
                    "Step %(name)s emails its letter: choose its email template.",
                    name=step.name,
                )
            )
        return errors

    @api.model
    def _get_step_warning(self, step):
        template = step.mail_template_id
        if (
            step.letter_send_email
            and template
            and not self._is_letter_template(template)
        ):
            return self.env._(
                "The email template %(template)s is not a letter's: the letter "
                "would go out under a message that does not announce it. Choose "
                "a template that sends a letter, such as Collection: letter.",
                template=template.name,
            )
        return False

    @api.model
    def _is_letter_template(self, template):
        """Whether ``template`` is written to carry a letter: the module's own
        letter template, or one that quotes what the letter claims (the
        ``collection_letter_*`` values)."""
        own = self.env.ref(
            "collection_ruler.mail_template_collection_letter",
            raise_if_not_found=False,
        )
        return template == own or "collection_letter_" in (
            template.sudo().body_html or ""
        )

    @api.model
    def _is_emailed(self, event):
        """Whether ``event``'s letter goes (or went) by email rather than by
        post."""
        if event.letter_delivery:
            return event.letter_delivery == "email"
        return bool(event.step_id.letter_send_email and event.move_id.partner_id.email)

    @api.model
    def _get_message_texts(self, step):
        if not step.letter_send_email:
            return []
        return self.env["collection.channel.email"]._get_message_texts(step)

    @api.model
    def _prints_letters(self, step):
        return True

    @api.model
    def _get_serves_as_debit_notice(self, step):
        return step.letter_type == "debit_notice"

    @api.model
    def _get_contact_hours_channel(self, event):
        # A letter sent by email keeps the email's hours; one to post reaches
        # its reader days later, whenever it is printed.
        if self._is_emailed(event):
            return self.env["collection.channel.email"]._get_code()
        return False

    @api.model
    def _get_proof_states(self, event):
        # A letter sent by email is proven as an email; a posted one by its
        # posting date.
        if self._is_emailed(event):
            return self.env["collection.channel.email"]._get_proof_states(event)
        return ()

    @api.model
    def _get_unreachable_reasons(self, events):
        # A letter to post needs an address to post it to.
        reasons = {}
        for event in events:
            partner = event.move_id.partner_id
            if self._is_emailed(event):
                continue
            if not partner.street or not (partner.city or partner.zip):
                reasons[event.id] = self.env._(
                    "%(customer)s has no postal address (street and city or ZIP "
                    "code) to post the letter to.",
                    customer=partner.display_name,
                )
        return reasons

    @api.model
    def _split_unreachable(self, events):
        # A debit notice exists to precede a credit-bureau registration, which
        # names the debtor by CPF or CNPJ: without one, no notice goes out.
        outcomes = {}
        for event in events:
            debtor = event.move_id.commercial_partner_id
            if (
                self._get_event_letter_type(event) == "debit_notice"
                and not debtor._collection_get_tax_id_kind()
            ):
                outcomes[event.id] = Outcome.failed(
                    self.env._(
                        "%(customer)s has no valid CPF or CNPJ: a credit bureau "
                        "cannot register a debtor it cannot identify, so the debit "
                        "notice is not sent. Fill in the customer's tax ID and "
                        "retry.",
                        customer=debtor.display_name,
                    )
                )
        unreachable, events = super()._split_unreachable(
            events.filtered(lambda e: e.id not in outcomes)
        )
        return outcomes | unreachable, events

    @api.model
    def _execute_batch(self, events, deadline=None):
        """Render each letter, then email in one batch those that are emailed."""
        self._check_creditor(events.company_id)
        outcomes, events = self._split_unreachable(events)
        rendered = {}
        for event in events:
            if rendered and deadline and time.monotonic() > deadline:
                break  # the rest stays scheduled for the next run
            outcomes.update(self._run_each(event, self._prepare_letter))
            if outcomes[event.id].kind == "done":
                rendered[event.id] = outcomes[event.id]
        to_email = self.env["collection.ruler.event"]
        for event in events.filtered(lambda e: e.id in rendered):
            if self._is_emailed(event):
                to_email |= event
        Email = self.env["collection.channel.email"]
        for template in to_email.step_id.mail_template_id:
            template_events = to_email.filtered(
                lambda e, t=template: e.step_id.mail_template_id == t
            )
            sent = Email._send_mails(
                template_events,
                template,
                {
                    event.id: [rendered[event.id].values["letter_attachment_id"]]
                    for event in template_events
                },
            )
            for event_id, outcome in sent.items():
                if outcome.kind == "done":
                    rendered[event_id].values.update(
                        outcome.values, letter_delivery="email"
                    )
                else:
                    # Not delivered: the letter is not kept on the invoice.
                    self.env["ir.attachment"].browse(
                        rendered.pop(event_id).values["letter_attachment_id"]
                    ).unlink()
                    outcomes[event_id] = outcome
        to_print = events.filtered(lambda e: e.id in rendered) - to_email
        for event in to_print:
            outcome = rendered[event.id]
            outcome.values["letter_delivery"] = "print"
            outcome.note = self.env._(
                "Collection step %(step)s: the letter is waiting to be printed and "
                "mailed.",
                step=event.step_id.name,
            )
        return outcomes

    @api.model
    def _check_creditor(self, companies):
        """Refuse letters that would not identify their creditor.

        Brazil's consumer code (art. 42-A) requires the creditor's name,
        address and CNPJ on every collection document.
        """
        for company in companies:
            if not company.vat or not company.partner_id.street:
                raise UserError(
                    self.env._(
                        "Collection letters must identify the creditor: fill in "
                        "the tax id (CNPJ) and the address of %(company)s.",
                        company=company.name,
                    )
                )

    @api.model
    def _prepare_letter(self, event):
        """Render ``event``'s letter and attach it to the invoice."""
        move = event.move_id
        name, content = self._render_letter(event)
        attachment = self.env["ir.attachment"].create(
            {
                "name": name,
                "raw": content,
                "res_model": move._name,
                "res_id": move.id,
                "mimetype": "application/pdf",
            }
        )
        return Outcome.done(
            {
                "letter_attachment_id": attachment.id,
                "letter_deadline": self._get_letter_deadline(event),
                "letter_move_ids": [Command.set(self._get_claimed(event).ids)],
            }
        )

    @api.model
    def _get_claimed(self, event, date=None):
        """The invoices ``event``'s letter claims when dated ``date``: its
        customer's overdue invoices, as the letter lists them."""
        move = event.move_id
        date = date or move._collection_get_today()
        return self.env["report.collection_ruler.letter"]._get_overdue_invoices(
            move, date
        )

    @api.model
    def _split_covered(self, events):
        """One letter of a kind per debt: an invoice that an earlier letter of
        the same type claimed, while that letter's deadline still runs, gets
        no second one. Its step is done, covered by that letter (a debit
        notice sent for another invoice of the customer that listed this one,
        or sent under a ruler the invoice followed before)."""
        if not events:
            return {}, events
        today = events.company_id[:1]._collection_get_today()
        letters = self.env["collection.ruler.event"].search(
            [
                ("channel", "=", "letter"),
                ("state", "=", "done"),
                ("letter_move_ids", "in", events.move_id.ids),
                ("letter_deadline", ">=", today),
                ("letter_delivery", "!=", "withdrawn"),
                ("covered_event_id", "=", False),
                ("id", "not in", events.ids),
            ],
            order="executed_at desc, id desc",
        )
        outcomes = {}
        for event in events:
            letter_type = self._get_event_letter_type(event)
            cover = letters.filtered(
                lambda e, t=letter_type, m=event.move_id: m in e.letter_move_ids
                and self._get_event_letter_type(e) == t
            )[:1]
            if not cover:
                continue
            # The digest's leader speaks for the letter its members share.
            cover = cover.digest_event_id or cover
            outcomes[event.id] = Outcome.done(
                {
                    "covered_event_id": cover.id,
                    "letter_deadline": cover.letter_deadline,
                    "failure_reason": self.env._(
                        "Covered by the letter of %(date)s about %(invoice)s, which "
                        "claims this invoice until %(deadline)s.",
                        date=format_date(self.env, cover.executed_at),
                        invoice=cover.move_id.name,
                        deadline=format_date(self.env, cover.letter_deadline),
                    ),
                },
                note=self.env._(
                    "Collection step %(step)s: no second letter, the letter of "
                    "%(date)s about %(invoice)s already claims this invoice and its "
                    "deadline (%(deadline)s) still runs.",
                    step=event.step_id.name,
                    date=format_date(self.env, cover.executed_at),
                    invoice=cover.move_id.name,
                    deadline=format_date(self.env, cover.letter_deadline),
                ),
            )
        return outcomes, events.filtered(lambda e: e.id not in outcomes)

    @api.model
    def _get_letter_report(self, letter_type):
        """The report (ir.actions.report) printing a letter type.

        Override to add letter types to the step's ``letter_type`` selection.
        """
        return self.env.ref(LETTER_REPORTS[letter_type])

    @api.model
    def _get_event_letter_type(self, event):
        """The letter ``event`` prints: its step's, or a debit notice printed
        for a notice sent on another channel (collection_notice_proof.py)."""
        return event.step_id.letter_type or "debit_notice"

    @api.model
    def _get_letter_context(self, event, date=None):
        """The context of ``event``'s letter: its date and days to pay."""
        date = date or event.company_id._collection_get_today()
        step, partner = event.step_id, event.move_id.partner_id
        emailed = event.letter_delivery == "email" or (
            not event.letter_delivery and step.letter_send_email and partner.email
        )
        return {
            "collection_deadline_days": step.deadline_days,
            "collection_date": fields.Date.to_string(date),
            # A letter to print reaches its reader days later, by post.
            "collection_posted": not emailed,
        }

    @api.model
    def _get_letter_deadline(self, event, date=None):
        """The deadline ``event``'s letter gives, when dated ``date``."""
        report = self.env["report.collection_ruler.letter"].with_context(
            **self._get_letter_context(event, date)
        )
        return report._get_letter_deadline(
            event.move_id.with_context(**report.env.context),
            self._get_event_letter_type(event),
        )

    @api.model
    def _render_letter(self, event, date=None):
        """Render ``event``'s letter as a PDF in the customer's language.

        :param date: the letter's date (default: today)
        :return: (file name, PDF content) pair
        """
        move = event.move_id
        letter_type = self._get_event_letter_type(event)
        report = self._get_letter_report(letter_type)
        content, _report_type = (
            self.env["ir.actions.report"]
            .with_context(**self._get_letter_context(event, date))
            ._render_qweb_pdf(report, move.ids)
        )
        claimed = self._get_claimed(event, date)
        names = ", ".join((claimed or move).mapped("name"))
        return (
            f"{self._get_letter_title(letter_type, move)} - {names}.pdf",
            content,
        )

    @api.model
    def _get_letter_title(self, letter_type, move):
        """The title of a letter, as the customer reads it: the tone is for
        the collector, never named to the debtor."""
        _ = self.with_context(lang=move.partner_id.lang).env._
        if letter_type == "debit_notice":
            return _("Debit notice")
        if letter_type == "nej_heavy":
            return _("Extrajudicial notification")
        return _("Extrajudicial notice")

    @api.model
    def _get_evidence(self, events):
        # A letter to print is recorded when it is printed (collection.letter.print).
        emailed = events.filtered(lambda e: e.letter_delivery == "email")
        evidence = self.env["collection.channel.email"]._get_evidence(emailed)
        for event in emailed.filtered(lambda e: e.id in evidence):
            letter = event.sudo().letter_attachment_id
            evidence[event.id].update(document=letter.raw, document_name=letter.name)
        return evidence

    @api.model
    def _on_collection_stopped(self, events, reason):
        # Letters not mailed yet leave the print queue.
        events.filtered("letter_to_print").write({"letter_delivery": "withdrawn"})

    # === Printing the queue === #

    @api.model
    def _serve_print_batch(self, batch_id):
        """The merged PDF ``batch_id`` as the user downloads it: its letters
        still waiting are marked printed now, with their evidence.

        :param int batch_id: id of an attachment made by ``collection.letter.print``
        :return: the ir.attachment (sudo), or None when the user can see none
            of its letters
        """
        events = self.env["collection.ruler.event"].search(
            [("letter_print_batch_id", "=", batch_id)]
        )
        if not events:
            return None
        events = events.sudo()
        self._mark_printed(events.filtered("letter_to_print"))
        return events.letter_print_batch_id

    @api.model
    def _mark_printed(self, events):
        """Record that ``events``' letters were printed, now: their evidence
        (the letter as printed, its address), their state, and a note."""
        if not events:
            return
        now = fields.Datetime.now()
        Evidence = self.env["collection.evidence"].sudo()
        evidence = []
        for attachment, group in events.grouped("letter_attachment_id").items():
            event = group.sorted(lambda e: bool(e.digest_event_id))[0]
            address = event.move_id.partner_id._display_address(without_company=False)
            evidence += [
                Evidence._prepare_contact(
                    member,
                    {
                        "recipient": " - ".join(filter(None, address.splitlines())),
                        "subject": attachment.name,
                        "document": attachment.raw,
                        "document_name": attachment.name,
                    },
                    when=now,
                )
                for member in group
            ]
        Evidence.create(evidence)
        events.write(
            {
                "letter_printed_at": now,
                "delivery_state": "printed",
                "delivery_date": now,
            }
        )
        events.move_id._message_log_batch(
            bodies=dict.fromkeys(
                events.move_id.ids,
                self.env._(
                    "Collection letter printed by %(user)s.", user=self.env.user.name
                ),
            )
        )
