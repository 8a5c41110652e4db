from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionBureauNoticePeriod(models.Model):
    """A state's own waiting periods before a credit-bureau registration.

    None is in force by default. Paraná's (Lei 22.130/2024, art. 183: 30 days
    after the default, the notice at least 5 days before) ships archived, to
    verify first: the STF struck down São Paulo's similar rule because civil
    law is the Union's to make (CF art. 22, I), and the same reasoning may
    strike down Paraná's.
    """

    _name = "collection.bureau.notice.period"
    _description = "Credit Bureau Notice Period"
    _order = "state_id"
    _rec_name = "state_id"

    state_id = fields.Many2one(
        comodel_name="res.country.state",
        string="Brazilian State",
        required=True,
        ondelete="cascade",
        domain="[('country_id.code', '=', 'BR')]",
    )
    active = fields.Boolean(default=True)
    days = fields.Integer(
        string="Notice Days",
        required=True,
        default=10,
        help="Days between the debit notice and the registration for debtors "
        "of this state. The company's own days apply when they are longer.",
    )
    days_after_due = fields.Integer(
        string="Days After Default",
        help="No registration before this many days after the due date. "
        "Paraná: 30. Zero: no such rule.",
    )
    note = fields.Char(string="Legal Basis", translate=True)

    _sql_constraints = [
        ("state_unique", "UNIQUE(state_id)", "A state has one notice period."),
    ]

    @api.constrains("days", "days_after_due")
    def _check_days(self):
        if any(period.days < 1 for period in self):
            raise ValidationError(self.env._("A notice period lasts at least one day."))
        if any(period.days_after_due < 0 for period in self):
            raise ValidationError(
                self.env._("The days after the default cannot be negative.")
            )
