"""Pausing the ruler: an invoice or a customer, until a date.

A collector pauses one invoice, or every invoice of a customer, while they
negotiate; an open promise to pay pauses its invoice until the promised
date. While paused, due steps wait: they are deferred to the day after the
pause, and the ruler resumes on its own. Every change shows in the chatter
(the fields are tracked) and on the timeline (the reason of each deferred
step).
"""

from datetime import timedelta

from odoo import api, models
from odoo.tools.misc import format_date

from .collection_channel import Outcome


class CollectionRulerPause(models.AbstractModel):
    _name = "collection.ruler.pause"
    _inherit = "collection.ruler.guard"
    _description = "Collection Pause"

    @api.model
    def _get_pauses(self, events):
        """Until when each event's invoice is paused, and why.

        :return: dict {event id: (last paused date, reason)} for the paused
        """
        promises = self.env["collection.promise"].search(
            [("move_id", "in", events.move_id.ids), ("state", "=", "open")],
            order="date desc",
        )
        promise_of = {}
        for promise in promises:
            promise_of.setdefault(promise.move_id.id, promise)
        pauses = {}
        for event in events:
            move, partner = event.move_id, event.partner_id
            candidates = []
            if move.collection_paused_until:
                candidates.append(
                    (
                        move.collection_paused_until,
                        self.env._("Collection of the invoice is paused"),
                    )
                )
            if partner.collection_paused_until:
                candidates.append(
                    (
                        partner.collection_paused_until,
                        self.env._(
                            "Collection of %(customer)s is paused",
                            customer=partner.name,
                        ),
                    )
                )
            promise = promise_of.get(move.id)
            if promise:
                candidates.append(
                    (
                        promise._pause_until(),
                        self.env._(
                            "%(customer)s promised to pay %(amount)s",
                            customer=partner.name,
                            amount=promise.currency_id.format(promise.amount),
                        ),
                    )
                )
            if candidates:
                pauses[event.id] = max(candidates)
        return pauses

    @api.model
    def _plan(self, events, todays):
        """Defer the due events of paused invoices to the day after the pause.

        :param events: due, scheduled collection.ruler.event records
        :param dict todays: {company id: today}
        :return: (events to run, {event id: deferred Outcome} of those paused)
        """
        deferred = {}
        for event_id, (until, why) in self._get_pauses(events).items():
            event = events.browse(event_id)
            if until < todays[event.company_id.id]:
                continue
            deferred[event_id] = Outcome.deferred(
                until + timedelta(days=1),
                self.env._(
                    "%(why)s until %(date)s.",
                    why=why,
                    date=format_date(self.env, until),
                ),
            )
        return events - events.browse(list(deferred)), deferred
