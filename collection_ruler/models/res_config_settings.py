from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_ruler_id = fields.Many2one(
        related="company_id.collection_ruler_id",
        readonly=False,
    )
