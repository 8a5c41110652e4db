from odoo import api, fields, models
from odoo.exceptions import ValidationError


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

    @api.constrains("collection_bureau_notice_days")
    def _check_collection_bureau_notice_days(self):
        if any(company.collection_bureau_notice_days < 1 for company in self):
            raise ValidationError(
                self.env._("The credit bureau notice lasts at least one day.")
            )
