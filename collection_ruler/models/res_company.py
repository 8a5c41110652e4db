from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        string="Default Collection Ruler",
        domain="['|', ('company_id', '=', False), ('company_id', '=', id)]",
        help="The ruler of invoices whose customer has none.",
    )
