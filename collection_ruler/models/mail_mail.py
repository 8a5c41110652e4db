"""Email delivery: the mail queue says whether a collection email left
(``collection.ruler.delivery``)."""

from odoo import models


class MailMail(models.Model):
    _inherit = "mail.mail"

    def _postprocess_sent_message(
        self, success_pids, failure_reason=False, failure_type=None
    ):
        mails = self.filtered(lambda m: m.model == "account.move" and m.mail_message_id)
        if mails:
            events = (
                self.env["collection.ruler.event"]
                .sudo()
                .search([("message_id", "in", mails.mail_message_id.ids)])
            )
            Delivery = self.env["collection.ruler.delivery"]
            state_by_message = {mail.mail_message_id: mail.state for mail in mails}
            for company, group in events.grouped("company_id").items():
                # The reason is read by the company's staff, whoever sent.
                env = self.with_context(lang=company._collection_get_lang()).env
                labels = dict(self._fields["failure_type"]._description_selection(env))
                for event in group:
                    if state_by_message.get(event.message_id) == "sent":
                        Delivery._set_delivery(event, "sent")
                    elif state_by_message.get(event.message_id) == "exception":
                        reason = env._(
                            "The email was not sent: %(reason)s",
                            reason=labels.get(failure_type)
                            or failure_reason
                            or env._("unknown error"),
                        )
                        Delivery.with_env(env)._set_delivery(
                            event, "failed", reason=reason
                        )
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )
