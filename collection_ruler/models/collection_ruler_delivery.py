"""Delivery receipts: what became of each contact, on its event, with a time.

Every channel's own plumbing reports, and the event records it:

- email (and emailed letters): Odoo's mail queue says sent or not sent, and a
  bounce that comes back says bounced;
- SMS: ``sms.tracker`` relays the SMS service's status (sent to the
  operator, delivered, bounced, not delivered);
- WhatsApp and recorded calls: the provider message's statuses;
- letters to print: printed, then posted (collection_notice_proof.py).

A status never goes back: a late "sent" leaves a read message read. A
contact that turns out not to have reached its customer (bounced, not
delivered) falls back or fails, as the step says (``_fail_after_run``).
"""

from odoo import api, fields, models

# The order of the statuses: a lower one never replaces a higher one.
DELIVERY_RANK = {
    "queued": 0,
    "sent": 1,
    "delivered": 2,
    "answered": 2,
    "printed": 2,
    "read": 3,
    "posted": 3,
}
NOT_DELIVERED = ("bounced", "failed")
# sms.tracker's notification statuses, as delivery statuses.
SMS_DELIVERY = {
    "process": "sent",
    "pending": "sent",
    "sent": "delivered",
    "bounce": "bounced",
    "exception": "failed",
    "canceled": "failed",
}


class CollectionRulerEvent(models.Model):
    _inherit = "collection.ruler.event"  # pylint: disable=consider-merging-classes-inherited

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

    def _set_delivery(self, state, when=None, reason=None, detail=None):
        """Record a delivery status, in any order, never going back.

        A status that says the contact did not reach its customer fails the
        event, or makes it fall back (``reason`` says why).

        :param str state: a ``delivery_state`` value
        :param datetime when: when the channel says it happened (default now)
        :param str detail: what the evidence's receipt says besides the status
            (default ``reason``)
        """
        when = when or fields.Datetime.now()
        rank = DELIVERY_RANK.get(state, -1)
        if state in NOT_DELIVERED:
            events = self.filtered(
                lambda e: DELIVERY_RANK.get(e.delivery_state, -1)
                < DELIVERY_RANK["delivered"]
                and e.delivery_state != state
            )
        else:
            events = self.filtered(
                lambda e: DELIVERY_RANK.get(e.delivery_state, -1) < rank
            )
        if not events:
            return events
        events.sudo().write({"delivery_state": state, "delivery_date": when})
        self.env["collection.evidence"]._record_receipts(
            events, state, when, detail or reason
        )
        if state in NOT_DELIVERED and reason:
            events._fail_after_run({event.id: reason for event in events})
        return events


class CollectionProviderMessage(models.Model):
    _inherit = "collection.provider.message"  # pylint: disable=consider-merging-classes-inherited

    def write(self, vals):
        res = super().write(vals)
        if "state" in vals and vals["state"] in ("sent", "delivered", "read"):
            # The events of a digest share their message.
            events = self._get_collection_events()
            for message in self:
                state = vals["state"]
                for event in events.filtered(
                    lambda e, m=message: e.provider_message_id == m
                ):
                    if state == "delivered" and event.channel == "voice":
                        state = "answered"
                    event._set_delivery(state, message[f"{vals['state']}_at"] or None)
        elif vals.get("state") == "failed":
            events = self._get_collection_events()
            # The event itself falls back or fails through ``_fail``.
            events._set_delivery("failed")
        return res


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
            state_by_message = {mail.mail_message_id: mail.state for mail in mails}
            for company, group in events.grouped("company_id").items():
                # The reason is read by the company's staff, whoever sent.
                env = self.with_context(lang=company._collection_get_lang()).env
                labels = dict(self._fields["failure_type"]._description_selection(env))
                for event in group:
                    if state_by_message.get(event.message_id) == "sent":
                        event._set_delivery("sent")
                    elif state_by_message.get(event.message_id) == "exception":
                        reason = env._(
                            "The email was not sent: %(reason)s",
                            reason=labels.get(failure_type)
                            or failure_reason
                            or env._("unknown error"),
                        )
                        event.with_env(env)._set_delivery("failed", reason=reason)
        return super()._postprocess_sent_message(
            success_pids, failure_reason=failure_reason, failure_type=failure_type
        )


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
        for company, group in events.grouped("company_id").items():
            env = self.with_context(lang=company._collection_get_lang()).env
            group.with_env(env)._set_delivery(
                "bounced",
                reason=env._(
                    "The email to %(email)s bounced.",
                    email=message_dict.get("bounced_email") or "",
                ),
            )


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
            .search([("message_id", "in", messages.ids), ("channel", "=", "sms")])
        )
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
            group.with_env(env)._set_delivery(state, reason=reason)
        return res
