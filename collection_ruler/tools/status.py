"""Delivery statuses, in the one order collection events and provider
messages share: a status never goes back. A late "sent" leaves a read message
read; a delivered call (answered) or a printed letter stands level with a
delivered message, and a read message level with a posted letter."""

STATUS_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "answered": 3,
    "printed": 3,
    "read": 4,
    "posted": 4,
}
# The statuses that say a contact did not reach its customer.
NOT_DELIVERED = ("bounced", "failed")


def status_rank(status):
    """The place of ``status`` in ``STATUS_RANK``; -1 for none or an unknown one."""
    return STATUS_RANK.get(status, -1)
