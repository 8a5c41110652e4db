import re
from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import formataddr

from odoo.addons.resource.models.utils import Intervals

from .collection_channel import clock
from .res_partner import only_digits


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
        help="Days between the debit notice and the credit-bureau registration "
        "of a debtor, as the company's bureau contract sets them, unless a "
        "period of the debtor's state applies. 10 days is the bureaus' practice, "
        "not a statute: the consumer code (art. 43, paragraph 2) asks for a "
        "written notice before a registration and sets no deadline.",
    )
    collection_letter_post_days = fields.Integer(
        string="Days for a Posted Letter",
        default=10,
        help="Business days a printed letter takes to reach its reader by post. "
        "A posted letter's deadline counts its days from then.",
    )
    collection_notice_accept_queued = fields.Boolean(
        string="Count Queued Emails as Delivered Notices",
        help="Off by default. STJ (Tema 1.315, 5 March 2026) accepts an "
        "electronic notice only when both its sending and its delivery are "
        "proven. An email that only left Odoo's queue proves neither: a "
        "registration based on it risks being held undue, with moral damages.",
    )
    collection_notice_proof_days = fields.Integer(
        string="Days to Prove a Notice",
        default=5,
        help="A debit notice with no proof of delivery this many days after it "
        "went out is printed, to be posted: the registration waits for it.",
    )

    collection_email_from = fields.Char(
        compute="_compute_collection_email_from",
        help="The sender of collection emails: the company's own address, or "
        "the server's default sender in the company's name.",
    )

    def _compute_collection_email_from(self):
        server_from = self.env["ir.mail_server"].sudo()._get_default_from_address()
        for company in self:
            default_from = company.default_from_email or server_from
            company.collection_email_from = company.email_formatted or (
                default_from and formataddr((company.name, default_from))
            )

    def write(self, vals):
        new_ruler = "collection_ruler_id" in vals and any(
            company.collection_ruler_id.id != (vals["collection_ruler_id"] or False)
            for company in self
        )
        res = super().write(vals)
        if new_ruler:
            # Open invoices that took the old default, or had none, follow
            # the new one from the next scheduled run.
            self.env["collection.ruler.backfill"]._request()
        return res

    def _collection_get_today(self):
        """Today in the company's time zone (the one of its partner), on the
        engine's clock (``collection_channel.clock``).

        :return: a date
        """
        self.ensure_one()
        tz = self.partner_id.tz or "UTC"
        return fields.Date.context_today(
            self.with_context(tz=tz), timestamp=clock(self.env)
        )

    def _collection_get_lang(self):
        """The language of the reasons and notes collection stores for this
        company, whoever's session writes them: its partner's, else the
        active one (also when the partner's was deactivated since)."""
        self.ensure_one()
        lang = self.partner_id.lang
        if lang and self.env["res.lang"]._get_data(code=lang):
            return lang
        return self.env.lang

    def _collection_next_business_day(self, date):
        """``date`` itself when it is a business day, else the next one."""
        self.ensure_one()
        return self._collection_add_business_days(date - timedelta(days=1), 1)

    def _collection_add_business_days(self, date, days):
        """``date`` plus ``days`` business days (``_collection_get_business_days``).

        :param date: a date
        :param int days: business days to add; negative goes back
        :return: a date
        """
        self.ensure_one()
        step = timedelta(days=1 if days >= 0 else -1)
        days = abs(days)
        span = timedelta(days=3 * days + 14)
        business, seen_until = set(), date
        while days > 0:
            date += step
            if (date - seen_until) * step.days > timedelta():
                # Read the calendar a stretch at a time, not a day at a time.
                start, end = sorted((date, date + step.days * span))
                business |= self._collection_get_business_days(start, end)
                seen_until = end if step.days > 0 else start
            if date in business:
                days -= 1
        return date

    def _collection_get_business_days(self, date_from, date_to):
        """The business days from ``date_from`` to ``date_to`` included, as
        Súmula 548 counts them: the days the company's working calendar has
        working hours on (its attendances less its leaves), less Brazil's
        national holidays for a company in Brazil. Without a working
        calendar, Monday to Friday.

        :return: a set of dates
        """
        self.ensure_one()
        calendar = self.resource_calendar_id.sudo()
        tz = pytz.timezone(calendar.tz or "UTC")
        start = tz.localize(datetime.combine(date_from, time.min))
        end = tz.localize(datetime.combine(date_to, time.max))
        if calendar:
            work = calendar._work_intervals_batch(
                start,
                end,
                tz=tz,
                # The company's own public holidays, not another company's.
                domain=[
                    ("time_type", "=", "leave"),
                    ("company_id", "in", [False, self.id]),
                ],
            )[False]
        else:
            Attendance = self.env["resource.calendar.attendance"]
            work = Intervals(
                (
                    tz.localize(datetime.combine(day, time(8))),
                    tz.localize(datetime.combine(day, time(17))),
                    Attendance,
                )
                for day in (
                    date_from + timedelta(days=n)
                    for n in range((date_to - date_from).days + 1)
                )
                if day.weekday() < 5
            )
        national = self.env.ref(
            "collection_ruler.resource_calendar_br_holidays", raise_if_not_found=False
        )
        if national and self.country_id.code == "BR":
            national = national.sudo()
            work -= national._leave_intervals_batch(
                start,
                end,
                tz=tz,
                domain=[("time_type", "=", "leave"), ("calendar_id", "=", national.id)],
            )[False]
        return {interval_start.date() for interval_start, _stop, _meta in work}

    @api.constrains("collection_bureau_notice_days")
    def _check_collection_bureau_notice_days(self):
        if any(company.collection_bureau_notice_days < 1 for company in self):
            raise ValidationError(
                self.env._("The credit bureau notice lasts at least one day.")
            )

    @api.constrains("collection_letter_post_days")
    def _check_collection_letter_post_days(self):
        if any(company.collection_letter_post_days < 0 for company in self):
            raise ValidationError(
                self.env._("A posted letter cannot arrive before it is posted.")
            )

    @api.constrains("collection_notice_proof_days")
    def _check_collection_notice_proof_days(self):
        if any(company.collection_notice_proof_days < 1 for company in self):
            raise ValidationError(
                self.env._("A debit notice is given at least one day to be proven.")
            )

    # === What collection messages say about the creditor (CDC art. 42-A) === #

    def _collection_get_creditor_line(self):
        """The creditor as collection messages name it: ``Name, CNPJ
        12.345.678/0001-90, street, city - state, zip, country``."""
        self.ensure_one()
        return ", ".join([self.name, *self._collection_get_creditor_details()])

    def _collection_get_creditor_details(self):
        """The company's tax id and address, as a list of short texts.

        The tax id's label is CNPJ or CPF for a Brazilian number, else the
        country's label; the address follows the country's format. Only
        what the company has is given.
        """
        self.ensure_one()
        partner = self.partner_id
        details = []
        if self.vat:
            label = {"cnpj": "CNPJ", "cpf": "CPF"}.get(
                partner._collection_get_tax_id_kind()
            ) or (self.country_id.vat_label or self.env._("Tax ID"))
            details.append(f"{label} {self.vat}")
        address = partner._display_address(without_company=True)
        details += [
            re.sub(r"\s+", " ", line).strip(" ,-")
            for line in address.splitlines()
            if line.strip(" ,-")
        ]
        return details

    def _collection_is_named_in(self, text):
        """Whether ``text`` identifies this company as the creditor: it
        holds its tax id, or its name when it has no tax id."""
        self.ensure_one()
        digits = only_digits(self.vat)
        if digits:
            return digits in only_digits(text)
        return bool(text) and self.name.lower() in text.lower()
