from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        string="Default Collection Ruler",
        domain="['|', ('company_id', '=', False), ('company_id', '=', id)]",
        help="The ruler of invoices whose customer has none.",
    )
    collection_bureau_notice_days = fields.Integer(
        string="Credit Bureau Notice (days)",
        default=10,
        help="Days that must pass between the debit notice and the credit-bureau "
        "registration of a debtor, unless the debtor's state sets another "
        "period.",
    )
