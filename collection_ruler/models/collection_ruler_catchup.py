from collections import defaultdict

from odoo import api, models


class CollectionRulerCatchup(models.AbstractModel):
    """The catch-up rule: which due events of an invoice a run carries out.

    A run that comes late finds several steps of one invoice due at once. The
    rule decides from the traits each channel declares, never from a channel
    code.
    """

    _name = "collection.ruler.catchup"
    _description = "Collection Catch-up Rule"

    @api.model
    def _get_step_traits(self, steps):
        """The traits of each step, as its channel declares them.

        :return: dict {step: traits dict}
        """
        return {
            step: self.env[f"collection.channel.{step.channel}"]._get_traits(step)
            for step in steps
        }

    @api.model
    def _get_unreachable(self, events):
        """The events of ``events`` whose customer cannot be reached on their
        channel, as each channel's ``_get_unreachable_reasons`` says: one call
        per channel for the whole batch.

        :return: collection.ruler.event records
        """
        unreachable_ids = set()
        for channel, group in events.grouped("channel").items():
            Channel = self.env[f"collection.channel.{channel}"]
            unreachable_ids.update(Channel._get_unreachable_reasons(group))
        return events.filtered(lambda e: e.id in unreachable_ids)

    @api.model
    def _plan(self, events):
        """Choose which due events of each invoice run, and which are skipped.

        A late run sends only the latest due step of an invoice, so that the
        customer does not get a burst of stale messages: the latest that can
        reach the customer (an SMS step is passed over for a customer without
        a mobile number), or the latest of all when none can, which then
        fails or falls back with its reason. Steps whose channel says they
        are never skipped (legal steps) still run. A step "sent alone when
        late" (a debit notice) goes out instead of a later reminder, which
        would refer to a notice not received yet.

        :param events: due, scheduled collection.ruler.event records
        :return: (events to run, {skipped events: the event sent instead})
        """
        traits = self._get_step_traits(events.step_id)
        by_move = defaultdict(events.browse)
        for event in events:
            by_move[event.move_id] |= event
        # Reachability matters only where a step is chosen among several.
        unreachable = self._get_unreachable(
            events.browse(
                [e.id for group in by_move.values() if len(group) > 1 for e in group]
            )
        )
        to_run, skipped = events.browse(), {}
        for move_events in by_move.values():
            ordered = move_events.sorted(
                lambda e: (e.scheduled_date, e.step_sequence, e.step_id.id)
            )
            reachable = ordered - unreachable
            latest = reachable[-1] if reachable else ordered[-1]
            stale = ordered - latest
            kept = stale.filtered(lambda e: traits[e.step_id]["never_skipped"])
            stale -= kept
            alone = kept.filtered(lambda e: traits[e.step_id]["sent_alone_when_late"])
            if alone and not traits[latest.step_id]["never_skipped"]:
                stale |= latest
                latest = alone[-1]
                kept -= latest
            if stale:
                skipped[stale] = latest
            to_run |= ordered.filtered(lambda e, run=kept | latest: e in run)
        return to_run, skipped
