import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .collection_ruler import INDIVIDUAL_FINE_CAP


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

    @api.constrains("collection_ruler_id", "is_company", "vat")
    def _check_collection_fine_cap(self):
        for partner in self:
            ruler = partner.collection_ruler_id
            if (
                ruler
                and ruler.fine_percent > INDIVIDUAL_FINE_CAP
                and partner._collection_is_individual()
            ):
                raise ValidationError(ruler._get_fine_cap_message(partner))

    def _collection_is_individual(self):
        """Whether the debtor is a natural person (a consumer).

        A Brazilian tax id decides when there is one: 11 digits are a CPF, 14 a
        CNPJ. Otherwise the partner's company flag does.
        """
        self.ensure_one()
        partner = self.commercial_partner_id
        digits = re.sub(r"\D", "", partner.vat or "")
        if len(digits) == 11:
            return True
        if len(digits) == 14:
            return False
        return not partner.is_company

    def _collection_get_bureau_notice_days(self, company):
        """Days between the debit notice and a credit-bureau registration.

        :param company: the creditor (res.company)
        :return: int, the period of the debtor's state, else the company's
        """
        self.ensure_one()
        state = self.commercial_partner_id.state_id
        period = (
            self.env["collection.bureau.notice.period"]
            .sudo()
            .search([("state_id", "=", state.id)], limit=1)
            if state
            else False
        )
        if period:
            return period.days
        return company.collection_bureau_notice_days
