import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .collection_ruler import INDIVIDUAL_FINE_CAP


def only_digits(text):
    """The digits of ``text``: a CPF, CNPJ or CEP without its punctuation."""
    return re.sub(r"\D", "", text or "")


class ResPartner(models.Model):
    _inherit = "res.partner"

    collection_ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        company_dependent=True,
        domain="['|', ('company_id', '=', False), "
        "('company_id', '=', current_company_id)]",
        help="The collection ruler of this customer's new invoices. Leave empty "
        "to use the company's default ruler.",
    )

    def write(self, vals):
        new_ruler = "collection_ruler_id" in vals and any(
            partner.collection_ruler_id.id != (vals["collection_ruler_id"] or False)
            for partner in self
        )
        res = super().write(vals)
        if new_ruler:
            # Their open invoices without a ruler of their own follow the new
            # one, from the next scheduled run.
            self.env["collection.ruler.backfill"]._request()
        return res

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

    def _collection_get_tax_id_digits(self):
        """The digits of the commercial partner's tax id (CPF or CNPJ)."""
        self.ensure_one()
        return only_digits(self.commercial_partner_id.vat)

    def _collection_get_tax_id_kind(self):
        """Which Brazilian tax id the debtor has: 11 digits are a CPF, 14 a CNPJ.

        :return: ``"cpf"``, ``"cnpj"``, or False for none
        """
        self.ensure_one()
        return {11: "cpf", 14: "cnpj"}.get(len(self._collection_get_tax_id_digits()))

    def _collection_is_individual(self):
        """Whether the debtor is a natural person (a consumer).

        A Brazilian tax id decides when there is one. Otherwise the partner's
        company flag does.
        """
        self.ensure_one()
        kind = self._collection_get_tax_id_kind()
        if kind:
            return kind == "cpf"
        return not self.commercial_partner_id.is_company

    def _collection_is_abroad(self, company):
        """Whether the debtor is known to be outside Brazil.

        Brazilian law gives the letters and the credit-bureau registration
        their weight: they are for debtors in Brazil. A debtor without a
        country is taken to be in the creditor's.
        """
        self.ensure_one()
        country = self.commercial_partner_id.country_id or company.country_id
        return bool(country) and country.code != "BR"

    def _collection_get_foreign_steps(self, steps, company):
        """The steps of ``steps`` that are not for this debtor: the Brazilian
        legal ones (letters, the credit bureau) when the debtor is abroad.

        :return: collection.ruler.step records
        """
        if not self._collection_is_abroad(company):
            return steps.browse()
        traits = self.env["collection.ruler.catchup"]._get_step_traits(steps)
        return steps.filtered(lambda step: traits[step]["legal_weight"])

    def _collection_get_bureau_notice_period(self):
        """The waiting periods of the debtor's state in force, if any.

        :return: collection.bureau.notice.period record, possibly empty
        """
        self.ensure_one()
        state = self.commercial_partner_id.state_id
        Period = self.env["collection.bureau.notice.period"].sudo()
        if not state:
            return Period
        return Period.search([("state_id", "=", state.id)], limit=1)

    def _collection_get_bureau_notice_days(self, company):
        """Days between the debit notice and a credit-bureau registration.

        :param company: the creditor (res.company)
        :return: int, the longer of the company's bureau contract and the
            period of the debtor's state
        """
        period = self._collection_get_bureau_notice_period()
        return max(company.collection_bureau_notice_days, period.days or 0)
