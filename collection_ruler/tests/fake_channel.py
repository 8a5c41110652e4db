"""A channel added the way another module would: one file, one selection_add."""

from odoo import api, fields, models

from odoo.addons.collection_ruler.models.collection_channel import Outcome


class CollectionRulerStep(models.Model):
    _inherit = "collection.ruler.step"  # pylint: disable=consider-merging-classes-inherited

    channel = fields.Selection(
        selection_add=[("fake", "Fake")], ondelete={"fake": "cascade"}
    )


class CollectionChannelFake(models.AbstractModel):
    _name = "collection.channel.fake"
    _inherit = "collection.channel"
    _description = "Collection Channel: Fake"
    _never_skipped = True

    batches = []

    @api.model
    def _get_unreachable_reasons(self, events):
        return {
            event.id: "no fake address"
            for event in events
            if event.move_id.partner_id.name == "Unreachable"
        }

    @api.model
    def _execute_batch(self, events, deadline=None):
        type(self).batches.append(events.ids)
        outcomes = {
            event_id: Outcome.failed(reason)
            for event_id, reason in self._get_unreachable_reasons(events).items()
        }
        for event in events:
            if event.id in outcomes:
                continue
            if event.move_id.partner_id.name == "Flaky":
                outcomes[event.id] = Outcome.transient("the fake provider timed out")
            else:
                outcomes[event.id] = Outcome.done(
                    {"sms_number": "fake"}, note="Fake contact made."
                )
        return outcomes
