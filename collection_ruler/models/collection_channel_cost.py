"""What a message costs: the unit prices the Preview estimates its cost with.

One price per channel and company, or per channel and provider when the
company pays its providers differently. Odoo has no such price: an SMS
through IAP, a WhatsApp conversation or a posted letter are billed outside
the ERP, so the collector sets them.
"""

from odoo import api, fields, models

from .collection_channel import channel_selection


class CollectionChannelCost(models.Model):
    _name = "collection.channel.cost"
    _description = "Collection Channel Cost"
    _order = "company_id, channel, provider_id"

    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    channel = fields.Selection(
        selection=channel_selection,
        required=True,
    )
    provider_id = fields.Many2one(
        comodel_name="collection.provider",
        string="Provider",
        domain="[('company_id', '=', company_id)]",
        ondelete="cascade",
        help="Empty: the price of the channel whatever its provider.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    unit_cost = fields.Monetary(
        string="Cost per Message",
        required=True,
        help="What one message costs: a digest listing several invoices is one "
        "message.",
    )

    _sql_constraints = [
        (
            "channel_provider_unique",
            "UNIQUE NULLS NOT DISTINCT (company_id, channel, provider_id)",
            "A channel has one price per company and provider.",
        ),
    ]

    @api.model
    def _get_unit_costs(self, companies):
        """:return: dict {(company id, channel, provider id or False): cost}"""
        return {
            (cost.company_id.id, cost.channel, cost.provider_id.id): cost.unit_cost
            for cost in self.sudo().search([("company_id", "in", companies.ids)])
        }

    @api.model
    def _get_unit_cost(self, costs, company, channel, provider):
        """The price of one message of ``channel`` through ``provider``, from
        ``costs`` (``_get_unit_costs``): the provider's, else the channel's."""
        return (
            costs.get(
                (company.id, channel, provider.id),
                costs.get((company.id, channel, False)),
            )
            or 0.0
        )
