import logging

from odoo import api, models
from odoo.tools import SQL

from .collection_channel import Outcome, is_concurrency_error, one_line, root_cause

_logger = logging.getLogger(__name__)

# The layout of collection emails: it names the creditor (CDC art. 42-A).
COLLECTION_LAYOUT = "collection_ruler.mail_layout_collection"


class CollectionChannelEmail(models.AbstractModel):
    """Email: the step's template mailed to the customer through the mail queue.

    A batch goes through Odoo's mass-mail composer: the template is rendered
    once for the whole batch, each invoice gets one queued mail and its
    message in the chatter, and the mail queue sends them after the run
    commits.
    """

    _name = "collection.channel.email"
    _inherit = "collection.channel"
    _description = "Collection Channel: Email"
    _digest = True
    # Accepted by the mail server, and no bounce came back.
    _proof_states = ("sent", "delivered", "read")

    @api.model
    def _get_step_defaults(self):
        template = self.env.ref(
            "collection_ruler.mail_template_collection_due_today",
            raise_if_not_found=False,
        )
        return {"mail_template_id": template.id} if template else {}

    @api.model
    def _get_message_texts(self, step):
        company = step.company_id or self.env.company
        return [
            (template.display_name, template._collection_get_texts(company))
            for template in step.mail_template_id | step.mail_template_individual_id
        ]

    @api.model
    def _is_emailed(self, event):
        return True

    @api.model
    def _can_digest(self, event):
        template = event.step_id._get_template("mail", event.move_id)
        return "collection_digest" in (template.body_html or "")

    @api.model
    def _check_step(self, step):
        if not step.mail_template_id:
            return [
                self.env._(
                    "Step %(name)s sends an email: choose its email template.",
                    name=step.name,
                )
            ]
        return []

    @api.model
    def _get_unreachable_reasons(self, events):
        reasons = {}
        for event in events:
            partner = event.move_id.partner_id
            if not partner.active:
                reasons[event.id] = self.env._(
                    "%(customer)s is archived.", customer=partner.display_name
                )
            elif not partner.email_normalized:
                reasons[event.id] = self.env._(
                    "%(customer)s has no valid email address.",
                    customer=partner.display_name,
                )
            elif partner.is_blacklisted:
                reasons[event.id] = self.env._(
                    "%(customer)s is on the email blacklist.",
                    customer=partner.display_name,
                )
        return reasons

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes = {}
        for step in events.step_id:
            step_events = events.filtered(lambda e, step=step: e.step_id == step)
            attachments = {}
            if step.attach_invoice:
                attachments = self._get_invoice_attachments(step_events)
            by_template = step_events.grouped(
                lambda e, s=step: s._get_template("mail", e.move_id)
            )
            for template, group in by_template.items():
                outcomes.update(self._send_mails(group, template, attachments))
        return outcomes

    # === Sending, shared with the channels that email (letters) === #

    @api.model
    def _send_mails(self, events, template, attachment_ids=None):
        """Mail ``template`` for the invoices of ``events``, one mail each.

        :param events: collection.ruler.event records of one company, one
            invoice each
        :param template: mail.template record on account.move
        :param dict attachment_ids: {event id: list of ir.attachment ids} to
            add to that event's mail
        :return: dict {event id: Outcome}
        """
        attachment_ids = attachment_ids or {}
        outcomes, events = self._split_unreachable(events)
        if not events:
            return outcomes
        self._ensure_access_tokens(events.move_id)
        try:
            with self.env.cr.savepoint():
                mails = self._compose(events, template)
        except Exception as error:
            if is_concurrency_error(error):
                raise
            # Find the invoices the template fails on, one at a time.
            mails = self.env["mail.mail"].sudo()
            for event in events:
                try:
                    with self.env.cr.savepoint():
                        mails |= self._compose(event, template)
                except Exception as event_error:
                    if is_concurrency_error(event_error):
                        raise
                    outcomes[event.id] = Outcome.failed(
                        self._get_render_failure_reason(template, event, event_error)
                    )
        mail_by_move = {mail.res_id: mail for mail in mails}
        failure_labels = dict(
            mails._fields["failure_type"]._description_selection(self.env)
        )
        for event in events:
            if event.id in outcomes:
                continue
            mail = mail_by_move.get(event.move_id.id)
            if not mail:
                outcomes[event.id] = Outcome.failed(
                    self.env._("The email template produced no email.")
                )
            elif mail.state in ("cancel", "exception"):
                outcomes[event.id] = Outcome.failed(
                    self.env._(
                        "The email was not sent: %(reason)s",
                        reason=failure_labels.get(mail.failure_type)
                        or one_line(mail.failure_reason or ""),
                    )
                )
            else:
                if attachment_ids.get(event.id):
                    mail.attachment_ids = [
                        (4, attachment_id) for attachment_id in attachment_ids[event.id]
                    ]
                outcomes[event.id] = Outcome.done(
                    {"message_id": mail.mail_message_id.id, "delivery_state": "queued"}
                )
        return outcomes

    @api.model
    def _compose(self, events, template):
        """Create the queued mails of ``events`` through the mass-mail composer.

        :return: the mail.mail records created (sudo)
        """
        moves = events.move_id
        company = events.company_id[:1]
        values = {
            "composition_mode": "mass_mail",
            "model": moves._name,
            "res_ids": str(moves.ids),
            "template_id": template.id,
            "author_id": company.partner_id.id,
            "force_send": False,
            "auto_delete_keep_log": True,
            # A template without a layout gets the collection layout, which
            # names the creditor under every email (account_move.py).
            "email_layout_xmlid": template.email_layout_xmlid or COLLECTION_LAYOUT,
        }
        # Given an author, the composer no longer takes the template's sender.
        collector = self._get_collector(events)
        if collector:
            values["email_from"] = collector.email_formatted
            values["author_id"] = collector.partner_id.id
        else:
            values["email_from"] = template.email_from
        # The layout looks at each recipient's users and contacts: read them
        # for the whole batch, not one invoice at a time.
        moves.partner_id.mapped("user_ids")
        moves.partner_id.mapped("child_ids")
        composer = (
            self.env["mail.compose.message"]
            # A posted invoice is never updated from the letter attached.
            .with_context(mail_notify_force_send=False, no_new_invoice=True)
            .create(values)
        )
        mails, _messages = composer._action_send_mail()
        return mails

    @api.model
    def _get_evidence(self, events):
        mails = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "in", events.message_id.ids)])
        )
        mail_by_message = {mail.mail_message_id: mail for mail in mails}
        evidence = {}
        for event in events:
            mail = mail_by_message.get(event.message_id)
            if mail:
                evidence[event.id] = {
                    "recipient": ", ".join(
                        mail.recipient_ids.mapped("email_formatted")
                        or [mail.email_to or ""]
                    ),
                    "subject": mail.subject,
                    "content": mail.body_html,
                }
        return evidence

    @api.model
    def _get_collector(self, events):
        """The responsible of the steps of ``events``, when they have one who
        can sign an email: a person of the company with an email address.
        Otherwise the template's sender, the company, signs.

        :return: res.users record, possibly empty
        """
        users = events.step_id.activity_user_id
        company = events.company_id[:1]
        if len(users) != 1 or len(events.step_id) != len(
            events.step_id.filtered("activity_user_id")
        ):
            return users.browse()
        return users.filtered(
            lambda u: u.active
            and not u.share
            and not u._is_superuser()
            and u != self.env.ref("base.user_root")
            and u.email
            and company in u.company_ids
        )

    @api.model
    def _get_render_failure_reason(self, template, event, error):
        """A one-line reason for a template that could not be rendered."""
        cause = root_cause(error)
        _logger.info(
            "Collection: template %s failed on invoice %s",
            template.id,
            event.move_id.id,
            exc_info=error,
        )
        return one_line(
            self.env._(
                "The email template %(template)s of step %(step)s could not be "
                "rendered: %(type)s: %(error)s",
                template=template.name,
                step=event.step_id.name,
                type=type(cause).__name__,
                error=one_line(str(cause)),
            )
        )

    @api.model
    def _ensure_access_tokens(self, moves):
        """Give the invoices without a portal token one, in one statement.

        Templates print the tokenized pay link. Odoo would otherwise save each
        token through ``account.move.write``, which re-checks every line of
        the invoice: a hundred times the cost of this update. The invoices a
        digest lists get theirs too, for their own pay links.
        """
        moves |= moves.collection_digest_move_ids
        missing = moves.filtered(lambda move: not move.access_token)
        if not missing:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE account_move SET access_token = gen_random_uuid()::text "
                "WHERE id IN %s AND access_token IS NULL",
                tuple(missing.ids),
            )
        )
        missing.invalidate_recordset(["access_token"])

    @api.model
    def _get_invoice_attachments(self, events):
        """The invoice PDF of each event, as attachments of the invoice: of
        every invoice its message lists, for a digest.

        :return: dict {event id: [ir.attachment id]}
        """
        result = {}
        Attachment = self.env["ir.attachment"]
        for event in events:
            result[event.id] = []
            for move in event.move_id.collection_digest_move_ids:
                attachment = move.invoice_pdf_report_id
                if not attachment:
                    content, _report_type = self.env[
                        "ir.actions.report"
                    ]._render_qweb_pdf("account.account_invoices", move.ids)
                    attachment = Attachment.create(
                        {
                            "name": move._get_invoice_report_filename(),
                            "raw": content,
                            "res_model": move._name,
                            "res_id": move.id,
                            "mimetype": "application/pdf",
                        }
                    )
                result[event.id] += attachment.ids
        return result
