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

from ..tools.status import NOT_DELIVERED, status_rank

# sms.tracker's notification statuses, as delivery statuses.
SMS_DELIVERY = {
    "process": "sent",
    "pending": "sent",
    "sent": "delivered",
    "bounce": "bounced",
    "exception": "failed",
    "canceled": "failed",
}


class CollectionRulerDelivery(models.AbstractModel):
    _name = "collection.ruler.delivery"
    _description = "Collection Delivery Receipts"

    @api.model
    def _set_delivery(self, events, state, when=None, reason=None, detail=None):
        """Record a delivery status, in any order, never going back.

        A status that says the contact did not reach its customer fails the
        event, or makes it fall back (``reason`` says why).

        :param events: collection.ruler.event records
        :param str state: a ``delivery_state`` value
        :param datetime when: when the channel says it happened (default now)
        :param str detail: what the evidence's receipt says besides the status
            (default ``reason``)
        """
        events = events.with_env(self.env)
        when = when or fields.Datetime.now()
        rank = status_rank(state)
        if state in NOT_DELIVERED:
            changed = events.filtered(
                lambda e: status_rank(e.delivery_state) < status_rank("delivered")
                and e.delivery_state != state
            )
        else:
            changed = events.filtered(lambda e: status_rank(e.delivery_state) < rank)
        if not changed:
            return changed
        changed.sudo().write({"delivery_state": state, "delivery_date": when})
        self.env["collection.evidence"]._record_receipts(
            changed, state, when, detail or reason
        )
        if state in NOT_DELIVERED and reason:
            self.env["collection.ruler.fallback"]._fail_after_run(
                changed, {event.id: reason for event in changed}
            )
        return changed
