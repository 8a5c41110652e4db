"""The legal interest rate and the IPCA correction, for rulers whose
customers agreed on no rate or no index.

Since Lei 14.905/2024 (in force from 30 August 2024), the Civil Code's legal
rate (art. 406) is the Selic minus the IPCA, floored at zero, which the
Central Bank publishes each month (CMN Resolution 5.171/2024). Before then,
the rate read from art. 406 with the CTN's art. 161, paragraph 1, was 1% a
month. The same law made the IPCA the monetary correction when no index was
agreed (art. 389, sole paragraph). A manager keeps both monthly figures; a
month without one takes the latest figure before it, and the amounts say so.
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
    ipca = fields.Float(
        string="IPCA of the Month (%)",
        digits=(16, 4),
        help="The month's IPCA variation as IBGE publishes it, negative in a "
        "month of deflation: the monetary correction of rulers that correct "
        "by the IPCA (Civil Code, art. 389, sole paragraph, as amended by Lei "
        "14.905/2024).",
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
        """Every month's figures, oldest first: ((first day, rate, ipca), ...)."""
        records = self.sudo().search([], order="month")
        return tuple((record.month, record.rate, record.ipca) for record in records)

    @api.model
    def _get_periods(self, due_date, date_to):
        """The days late after ``due_date`` up to ``date_to`` included, month
        by month.

        :return: list of (first day, last day, figures) where figures is the
            month's (rate, ipca), the latest before it when the month has
            none, (0.0, 0.0) when none is known, or None for the days before
            30 August 2024; and the list of the months without figures
        """
        rates = self._get_rates()
        periods, missing = [], []
        day = due_date + timedelta(days=1)
        while day <= date_to:
            month = day.replace(day=1)
            end = min(date_to, month + relativedelta(months=1, days=-1))
            if day < LEGAL_RATE_START:
                end = min(end, LEGAL_RATE_START - timedelta(days=1))
                figures = None
            else:
                known = [(r, i) for m, r, i in rates if m <= month]
                if not known or rates[len(known) - 1][0] != month:
                    missing.append(month)
                figures = (known or [(0.0, 0.0)])[-1]
            periods.append((day, end, figures))
            day = end + timedelta(days=1)
        return periods, missing

    @api.model
    def _get_interest(self, amount, due_date, date_to):
        """The legal interest on ``amount``, per day late after ``due_date``
        up to ``date_to`` included, a month counting as 30 days.

        :return: (interest, not unrounded; list of the months without a
            figure, which took the latest figure before them)
        """
        periods, missing = self._get_periods(due_date, date_to)
        interest = 0.0
        for start, end, figures in periods:
            rate = FORMER_LEGAL_RATE if figures is None else figures[0]
            interest += amount * rate / 100 / 30 * ((end - start).days + 1)
        return interest, missing

    @api.model
    def _get_correction(self, amount, due_date, date_to):
        """The IPCA correction of ``amount`` from ``due_date`` to ``date_to``:
        each month's IPCA compounded, a part of a month in proportion to its
        days. Days before 30 August 2024, when the IPCA became the default
        index, are not corrected.

        :return: (correction, not unrounded; list of the months without a
            figure)
        """
        periods, missing = self._get_periods(due_date, date_to)
        factor = 1.0
        for start, end, figures in periods:
            if figures is None:
                continue
            length = (start + relativedelta(day=31)).day
            factor *= 1 + figures[1] / 100 * ((end - start).days + 1) / length
        return amount * (factor - 1), missing
