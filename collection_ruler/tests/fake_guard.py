"""A guard added the way another module would: one guard model, and the run's
``_get_guards`` extended with ``super()``."""

from datetime import timedelta

from odoo import api, models

from odoo.addons.collection_ruler.models.collection_channel import Outcome

ON_HOLIDAY = "On Holiday"


class CollectionRulerGuardHoliday(models.AbstractModel):
    _name = "collection.ruler.guard.holiday"
    _inherit = "collection.ruler.guard"
    _description = "Collection Guard: Customers on Holiday"

    @api.model
    def _plan(self, events, todays):
        held = events.filtered(lambda e: e.partner_id.name == ON_HOLIDAY)
        return events - held, {
            event.id: Outcome.deferred(
                todays[event.company_id.id] + timedelta(days=2),
                "The customer is on holiday.",
            )
            for event in held
        }


class CollectionRulerRun(models.Model):
    _inherit = "collection.ruler.run"

    def _get_guards(self):
        return [*super()._get_guards(), "collection.ruler.guard.holiday"]
