"""SMS delivery: the SMS service's statuses, relayed by ``sms.tracker``, on
the collection events (``collection.ruler.delivery``)."""

from odoo import models

from ..tools.status import NOT_DELIVERED
from .collection_ruler_delivery import SMS_DELIVERY


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    def _update_sms_notifications(
        self, notification_status, failure_type=False, failure_reason=False
    ):
        res = super()._update_sms_notifications(
            notification_status,
            failure_type=failure_type,
            failure_reason=failure_reason,
        )
        state = SMS_DELIVERY.get(notification_status)
        messages = self.mail_notification_id.mail_message_id
        if not state or not messages:
            return res
        events = (
            self.env["collection.ruler.event"]
            .sudo()
            .search([("message_id", "in", messages.ids)])
        )
        Delivery = self.env["collection.ruler.delivery"]
        for company, group in events.grouped("company_id").items():
            env = self.with_context(lang=company._collection_get_lang()).env
            reason = None
            if state in NOT_DELIVERED:
                labels = dict(
                    env["mail.notification"]
                    ._fields["failure_type"]
                    ._description_selection(env)
                )
                reason = env._(
                    "The SMS was not delivered: %(reason)s",
                    reason=labels.get(failure_type)
                    or failure_reason
                    or env._("unknown error"),
                )
            Delivery.with_env(env)._set_delivery(group, state, reason=reason)
        return res
