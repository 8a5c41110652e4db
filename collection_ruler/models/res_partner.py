from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        string="Collection Ruler",
        company_dependent=True,
        domain="['|', ('company_id', '=', False), "
        "('company_id', '=', current_company_id)]",
        help="The collection ruler of this customer's new invoices. Leave empty "
        "to use the company's default ruler.",
    )

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + ["collection_ruler_id"]
