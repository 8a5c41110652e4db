"""One digest per customer: one message for all of a customer's invoices.

When several invoices of one customer have a step due on the same day on the
same channel, and their ruler says so (``digest``, on by default), the
channel sends one message: the step of the most overdue invoice, the
*primary* event, rendered with the list of every invoice. The templates read
that list from ``collection_digest_move_ids`` and the totals beside it; for
an invoice sent alone they hold that invoice only, so that one template
serves both forms.

Each other invoice's event is done with the primary's outcome, points to it
(``digest_event_id``) and shares its message; the cap counts the digest as
one contact. A channel joins by setting ``_digest``; a template without a
digest form (one that never reads ``collection_digest_*``, such as one
written before digests) sends one message per invoice. A letter digests per
letter type, a credit-bureau registration never.
"""

from collections import defaultdict

from odoo import api, models

from .collection_channel import Outcome, clock

# The scope of the signature of the pay-all links.
PAY_ALL_SCOPE = "collection_ruler.pay_all"


class CollectionRulerDigest(models.AbstractModel):
    _name = "collection.ruler.digest"
    _description = "Collection Digest"

    @api.model
    def _get_key(self, Channel, event):
        """What events of one message share, or None when the event goes
        alone: its ruler or its channel sends one message per invoice."""
        if not event.ruler_id.digest or not Channel._can_digest(event):
            return None
        return (event.partner_id.id, Channel._get_digest_key(event))

    @api.model
    def _group(self, Channel, events):
        """Group ``events`` (one company, one channel) into messages.

        :return: dict {primary event: the other events of its message}
        """
        keyed = defaultdict(lambda: events.browse())
        groups = {}
        for event in events:
            key = self._get_key(Channel, event)
            if key is None or not event.partner_id:
                groups[event] = events.browse()
            else:
                keyed[key] |= event
        for group in keyed.values():
            # The most overdue invoice leads: its step speaks for all.
            ordered = group.sorted(
                lambda e: (
                    e.move_id.invoice_date_due or clock(self.env).date(),
                    e.move_id.id,
                )
            )
            groups[ordered[0]] = ordered[1:]
        return groups

    @api.model
    def _execute(self, Channel, events, deadline=None):
        """Run ``events`` through ``Channel``, one message per customer.

        :return: dict {event id: Outcome}, as ``Channel._run_batch``
        """
        covered, events = Channel._split_covered(events)
        if not events:
            return covered
        groups = self._group(Channel, events)
        if not any(groups.values()):
            return covered | Channel._run_batch(events, deadline)
        digest = tuple(
            (primary.move_id.id, tuple((primary.move_id | others.move_id).ids))
            for primary, others in groups.items()
            if others
        )
        primaries = events.browse([primary.id for primary in groups])
        Channel = Channel.with_context(collection_digest=digest)
        outcomes = Channel._run_batch(primaries.with_env(Channel.env), deadline)
        for primary, others in groups.items():
            outcome = outcomes.get(primary.id)
            if outcome is None:
                continue  # left for the next run: the others wait with it
            for event in others:
                outcomes[event.id] = self._get_member_outcome(outcome, primary, event)
        return covered | outcomes

    @api.model
    def _get_member_outcome(self, outcome, primary, event):
        """The outcome of ``event``, whose message ``primary`` carried."""
        if outcome.kind != "done":
            return Outcome(
                outcome.kind,
                reason=outcome.reason,
                date=outcome.date,
                fallback=outcome.fallback,
            )
        return Outcome.done(
            {**outcome.values, "digest_event_id": primary.id},
            note=self.env._(
                "Collection step %(step)s: sent in one message with invoice "
                "%(invoice)s, which lists this invoice.",
                step=event.step_id.name,
                invoice=primary.move_id.name,
            ),
        )
