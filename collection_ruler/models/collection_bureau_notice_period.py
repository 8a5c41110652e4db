from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionBureauNoticePeriod(models.Model):
    """A state's own notice period before a credit-bureau registration."""

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
    days = fields.Integer(
        required=True,
        default=10,
        help="Days between the debit notice and the registration for debtors "
        "of this state.",
    )
    note = fields.Char(string="Legal Basis", translate=True)

    _sql_constraints = [
        ("state_unique", "UNIQUE(state_id)", "A state has one notice period."),
    ]

    @api.constrains("days")
    def _check_days(self):
        if any(period.days < 1 for period in self):
            raise ValidationError(self.env._("A notice period lasts at least one day."))
