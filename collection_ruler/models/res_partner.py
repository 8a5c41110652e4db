import re

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .collection_contact_window import state_tz
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
    collection_tz_chosen = fields.Boolean(
        string="Time Zone Chosen",
        readonly=True,
        help="The contact's time zone was set on purpose, not defaulted from "
        "the user who created it: the contact hours follow it even where its "
        "state's time zone differs.",
    )
    collection_tz_warning = fields.Char(
        string="Time Zone Warning",
        compute="_compute_collection_tz_warning",
    )

    @api.depends("tz", "state_id", "collection_tz_chosen")
    def _compute_collection_tz_warning(self):
        now = fields.Datetime.now()
        for partner in self:
            zone = state_tz(partner.state_id)
            if not (partner.tz and zone) or (
                pytz.timezone(partner.tz).utcoffset(now)
                == pytz.timezone(zone).utcoffset(now)
            ):
                partner.collection_tz_warning = False
            elif partner.collection_tz_chosen:
                partner.collection_tz_warning = self.env._(
                    "The time zone %(tz)s differs from %(state_tz)s, the one of "
                    "%(state)s: the contact hours follow %(tz)s, chosen for this "
                    "contact.",
                    tz=partner.tz,
                    state_tz=zone,
                    state=partner.state_id.name,
                )
            else:
                partner.collection_tz_warning = self.env._(
                    "The time zone %(tz)s differs from %(state_tz)s, the one of "
                    "%(state)s: the contact hours follow %(state_tz)s, since "
                    "%(tz)s only came from the user who created the contact. "
                    "Choose the contact's time zone to have them follow it.",
                    tz=partner.tz,
                    state_tz=zone,
                    state=partner.state_id.name,
                )

    @api.model_create_multi
    def create(self, vals_list):
        """Tell a time zone chosen for the contact from one defaulted.

        ``tz`` defaults to the creating user's (the context's), and the web
        client sends the defaulted value with the others: a time zone other
        than the default was chosen, one equal to it is taken as defaulted.
        A later ``write`` of ``tz`` is a choice (the form sends only the
        fields changed). Contacts created before this flag count as
        defaulted. The contact hours rely on it (``_get_tz`` of
        ``collection.contact.window``).
        """
        default_tz = None
        if any("collection_tz_chosen" not in vals for vals in vals_list):
            default_tz = self.default_get(["tz"]).get("tz")
        vals_list = [
            vals
            if "collection_tz_chosen" in vals
            else dict(
                vals,
                collection_tz_chosen=bool(vals.get("tz")) and vals["tz"] != default_tz,
            )
            for vals in vals_list
        ]
        return super().create(vals_list)

    def write(self, vals):
        if "tz" in vals and "collection_tz_chosen" not in vals:
            vals = dict(vals, collection_tz_chosen=bool(vals["tz"]))
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

    # ----------------------------------------------------------------------
    # Pauses
    # ----------------------------------------------------------------------

    collection_paused_until = fields.Date(
        copy=False,
        tracking=True,
        help="No collection step of this customer's invoices runs until this "
        "date included; the rulers resume on their own the day after.",
    )
