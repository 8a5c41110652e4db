from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_ruler_id = fields.Many2one(
        related="company_id.collection_ruler_id",
        readonly=False,
    )
    collection_bureau_notice_days = fields.Integer(
        related="company_id.collection_bureau_notice_days",
        readonly=False,
    )
