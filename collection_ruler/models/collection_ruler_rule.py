"""Rulers by customer profile: ordered rules that choose an invoice's ruler.

When an invoice is posted, its ruler is, in this order: the one chosen on
the invoice, the customer's, the first rule that matches, the company's
default. A rule matches on a partner tag, an individual or a company, the
debtor's state or country, and the amount of the invoice (in the company's
currency); a condition left empty matches any invoice.
"""

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError


class CollectionRulerRule(models.Model):
    _name = "collection.ruler.rule"
    _description = "Collection Ruler Assignment Rule"
    _order = "sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        default=lambda self: self.env.company,
        index=True,
        help="Empty: every company (with a ruler shared by all companies).",
    )
    ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        required=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_type = fields.Selection(
        selection=[
            ("any", "Anyone"),
            ("individual", "Individuals (CPF)"),
            ("company", "Companies (CNPJ)"),
        ],
        string="Customer Is",
        default="any",
        required=True,
    )
    category_ids = fields.Many2many(
        comodel_name="res.partner.category",
        string="Customer Tags",
        help="The customer has one of these tags. Empty: any customer.",
    )
    country_state_ids = fields.Many2many(
        comodel_name="res.country.state",
        string="Debtor's States",
        help="Empty: any state.",
    )
    country_ids = fields.Many2many(
        comodel_name="res.country",
        string="Debtor's Countries",
        help="Empty: any country.",
    )
    amount_min = fields.Monetary(
        string="Amount From",
        currency_field="company_currency_id",
        help="The invoice's total, in the company's currency, is at least this.",
    )
    amount_max = fields.Monetary(
        string="Amount Up To",
        currency_field="company_currency_id",
        help="The invoice's total is at most this. 0: no limit.",
    )
    company_currency_id = fields.Many2one(
        comodel_name="res.currency",
        compute="_compute_company_currency_id",
    )

    @api.depends("company_id")
    def _compute_company_currency_id(self):
        for rule in self:
            rule.company_currency_id = (rule.company_id or self.env.company).currency_id

    @api.constrains("amount_min", "amount_max")
    def _check_amounts(self):
        for rule in self:
            if rule.amount_min < 0 or rule.amount_max < 0:
                raise ValidationError(self.env._("A rule's amounts are not negative."))
            if rule.amount_max and rule.amount_max < rule.amount_min:
                raise ValidationError(
                    self.env._("A rule's amount up to is above its amount from.")
                )

    def _matches(self, move):
        """Whether ``move`` (a customer invoice) meets this rule."""
        self.ensure_one()
        partner = move.commercial_partner_id
        if self.partner_type != "any":
            individual = partner._collection_is_individual()
            if individual != (self.partner_type == "individual"):
                return False
        if self.category_ids and not (
            self.category_ids & (partner.category_id | move.partner_id.category_id)
        ):
            return False
        if self.country_state_ids and partner.state_id not in self.country_state_ids:
            return False
        if self.country_ids and partner.country_id not in self.country_ids:
            return False
        amount = abs(move.amount_total_signed)
        if amount < self.amount_min:
            return False
        return not (self.amount_max and amount > self.amount_max)

    @api.model
    @tools.ormcache("company_id")
    def _get_rule_ids(self, company_id):
        """The active rules of a company, in order (cached: an invoice's
        ruler is computed often, rules change seldom)."""
        return tuple(
            self.sudo()
            .search([("company_id", "in", [False, company_id])], order="sequence, id")
            .ids
        )

    @api.model
    def _get_ruler(self, move):
        """The ruler of the first rule ``move`` meets, or an empty recordset."""
        for rule in self.sudo().browse(self._get_rule_ids(move.company_id.id)):
            if rule.ruler_id.active and rule._matches(move):
                return rule.ruler_id.with_env(self.env)
        return self.env["collection.ruler"]

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()
