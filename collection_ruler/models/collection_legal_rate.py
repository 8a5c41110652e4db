"""The legal interest rate, for rulers whose customers agreed on no rate.

Since Lei 14.905/2024 (in force from 30 August 2024), the Civil Code's legal
rate (art. 406) is the Selic minus the IPCA, floored at zero, which the
Central Bank publishes each month (CMN Resolution 5.171/2024). Before then,
the rate read from art. 406 with the CTN's art. 161, paragraph 1, was 1% a
month. A manager keeps the monthly figures; a month without one takes the
latest figure before it, and the amounts say so.
"""

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError

# Lei 14.905/2024 came into force on this day.
LEGAL_RATE_START = date(2024, 8, 30)
# The monthly rate before it, in percent.
FORMER_LEGAL_RATE = 1.0


class CollectionLegalRate(models.Model):
    _name = "collection.legal.rate"
    _description = "Legal Interest Rate"
    _order = "month desc"
    _rec_name = "month"

    month = fields.Date(
        required=True,
        help="The month of the rate; any day of it may be entered, the first is kept.",
    )
    rate = fields.Float(
        string="Monthly Rate (%)",
        digits=(16, 4),
        required=True,
        help="The legal rate of the month as the Central Bank publishes it: the "
        "Selic minus the IPCA, zero when negative (Civil Code, art. 406, as "
        "amended by Lei 14.905/2024; CMN Resolution 5.171/2024).",
    )
    note = fields.Char(string="Source")

    _sql_constraints = [
        ("month_unique", "UNIQUE(month)", "A month has one legal rate."),
    ]

    @api.constrains("month", "rate")
    def _check_rate(self):
        for record in self:
            if record.month < LEGAL_RATE_START.replace(day=1):
                raise ValidationError(
                    self.env._(
                        "The legal rate of Lei 14.905/2024 starts in August 2024: "
                        "before it, the rate is 1% a month."
                    )
                )
            if record.rate < 0:
                raise ValidationError(
                    self.env._(
                        "The legal rate is never negative: it is floored at zero."
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("month"):
                vals["month"] = fields.Date.to_date(vals["month"]).replace(day=1)
        self.env.registry.clear_cache()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("month"):
            vals["month"] = fields.Date.to_date(vals["month"]).replace(day=1)
        self.env.registry.clear_cache()
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()
        return super().unlink()

    @api.model
    @tools.ormcache()
    def _get_rates(self):
        """Every month's rate, oldest first: ((first day, rate), ...)."""
        records = self.sudo().search([], order="month")
        return tuple((record.month, record.rate) for record in records)

    @api.model
    def _get_interest(self, amount, due_date, date_to):
        """The legal interest on ``amount``, per day late after ``due_date``
        up to ``date_to`` included, a month counting as 30 days.

        :return: (interest, not unrounded; list of the months without a
            figure, which took the latest figure before them)
        """
        rates = self._get_rates()
        interest, missing = 0.0, []
        day = due_date + timedelta(days=1)
        while day <= date_to:
            month = day.replace(day=1)
            end = min(date_to, month + relativedelta(months=1, days=-1))
            if day < LEGAL_RATE_START:
                end = min(end, LEGAL_RATE_START - timedelta(days=1))
                rate = FORMER_LEGAL_RATE
            else:
                known = [r for m, r in rates if m <= month]
                exact = [r for m, r in rates if m == month]
                if not exact:
                    missing.append(month)
                rate = (exact or known[-1:] or [0.0])[0]
            interest += amount * rate / 100 / 30 * ((end - day).days + 1)
            day = end + timedelta(days=1)
        return interest, missing
