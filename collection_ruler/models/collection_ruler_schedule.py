from collections import defaultdict
from datetime import timedelta

from odoo import api, models


class CollectionRulerSchedule(models.AbstractModel):
    """The schedule of invoices: one event per active step of their ruler.

    Called whenever an invoice, its ruler or its payment changes, and by
    each run before it executes anything: what is no longer due or
    collectible is cancelled, what moved is rescheduled, what is missing is
    created.
    """

    _name = "collection.ruler.schedule"
    _description = "Collection Schedule"

    @api.model
    def _sync(self, moves):
        """Create, move or cancel the scheduled collection events of ``moves``.

        Events that already ran (done, failed or skipped) are never touched.
        Cancelled events come back when the invoice can be collected again,
        for example after a payment is undone.
        """
        moves = moves.filtered(lambda m: m.move_type == "out_invoice")
        if not moves:
            return
        Event = self.env["collection.ruler.event"].sudo()
        existing = Event.search([("move_id", "in", moves.ids)])
        events_by_move = defaultdict(Event.browse)
        for event in existing:
            events_by_move[event.move_id.id] |= event
        to_create = []
        to_reschedule = defaultdict(Event.browse)
        to_cancel = defaultdict(Event.browse)
        stopped = defaultdict(Event.browse)
        for move in moves:
            events = events_by_move[move.id]
            pending = events.filtered(lambda e: e.state == "scheduled")
            stop_reason = move._collection_get_stop_reason()
            if stop_reason:
                to_cancel[stop_reason] |= pending
                stopped[stop_reason] |= events
                continue
            due_date = move._collection_get_due_date()
            steps = move.collection_ruler_id.step_ids.filtered(
                lambda s: s.active and not s.on_broken_promise
            )
            foreign = move.commercial_partner_id._collection_get_foreign_steps(
                steps, move.company_id
            )
            if foreign:
                steps -= foreign
                abroad = pending.filtered(lambda e, f=foreign: e.step_id in f)
                to_cancel[self.env._("Legal steps are for debtors in Brazil.")] |= (
                    abroad
                )
                pending -= abroad
            event_by_step = {event.step_id: event for event in events}
            for step in steps:
                date = due_date + timedelta(days=step.offset_days)
                event = event_by_step.get(step)
                if event and event.deferred_until:
                    date = max(date, event.deferred_until)
                if not event:
                    to_create.append(self._prepare_event_values(move, step, date))
                elif event.state == "cancelled" or (
                    event.state == "scheduled"
                    and (event.scheduled_date, event.channel, event.step_sequence)
                    != (date, step.channel, step.sequence)
                ):
                    to_reschedule[date, step] |= event
            # Fallbacks and broken-promise steps are scheduled as they occur.
            obsolete = pending.filtered(
                lambda e, steps=steps, ruler=move.collection_ruler_id: e.step_id
                not in steps
                and e.step_id.fallback_for_id not in steps
                and not (e.step_id.on_broken_promise and e.step_id.ruler_id == ruler)
            )
            if obsolete:
                to_cancel[
                    self.env._("The step is no longer part of the invoice's ruler.")
                ] |= obsolete
        self._apply(to_cancel, to_reschedule, to_create, stopped)

    @api.model
    def _apply(self, to_cancel, to_reschedule, to_create, stopped):
        """Write what ``_sync`` planned, in bulk."""
        Event = self.env["collection.ruler.event"].sudo()
        for reason, events in to_cancel.items():
            if events:
                events.write({"state": "cancelled", "failure_reason": reason})
        for (date, step), events in to_reschedule.items():
            events.write(
                {
                    "state": "scheduled",
                    "scheduled_date": date,
                    "channel": step.channel,
                    "step_sequence": step.sequence,
                    "ruler_id": step.ruler_id.id,
                    "failure_reason": False,
                }
            )
        if to_create:
            Event.create(to_create)
        for reason, events in stopped.items():
            # Each channel reacts: queued letters are withdrawn, credit-bureau
            # registrations asked for removal...
            Event._on_collection_stopped(events, reason)

    @api.model
    def _prepare_event_values(self, move, step, date):
        """Values of a new collection event of ``move`` for one step.

        :param move: account.move record
        :param step: collection.ruler.step record
        :param date: the scheduled date
        :return: dict of values for ``collection.ruler.event.create``
        """
        return {
            "move_id": move.id,
            "partner_id": move.commercial_partner_id.id,
            "ruler_id": step.ruler_id.id,
            "step_id": step.id,
            "step_sequence": step.sequence,
            "company_id": move.company_id.id,
            "channel": step.channel,
            "scheduled_date": date,
        }
