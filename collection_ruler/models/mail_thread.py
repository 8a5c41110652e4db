"""Email bounces: a collection email that bounced did not reach its customer
(``collection.ruler.delivery``)."""

from odoo import api, models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    @api.model
    def _routing_handle_bounce(self, email_message, message_dict):
        super()._routing_handle_bounce(email_message, message_dict)
        message = message_dict.get("bounced_message")
        if not message or message.model != "account.move":
            return
        events = (
            self.env["collection.ruler.event"]
            .sudo()
            .search([("message_id", "=", message.id)])
        )
        Delivery = self.env["collection.ruler.delivery"]
        for company, group in events.grouped("company_id").items():
            env = self.with_context(lang=company._collection_get_lang()).env
            Delivery.with_env(env)._set_delivery(
                group,
                "bounced",
                reason=env._(
                    "The email to %(email)s bounced.",
                    email=message_dict.get("bounced_email") or "",
                ),
            )
