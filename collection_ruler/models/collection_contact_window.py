"""Contact hours: when a debtor may be contacted, per channel and state.

A window gives, for one channel, the hours of contact from Monday to Friday
and on Saturday, in the debtor's local time; Sundays are never allowed, and
holidays (the company's working calendar) only when the window says so. A
window without a state is the default; one with a state applies to debtors
of that state on top of the default: both must allow the contact. The
windows shipped as data are the company default and the state laws of
../shared/LEGAL.md, each with its citation; users add others.

A step outside its window is deferred to the next allowed slot, never
skipped. A slot later the same day makes the event *wait*: it stays due,
with no note, and ``not_before`` keeps the hourly runs from taking it up
again before that time. A slot on a later day defers it to that day.
"""

from datetime import datetime, time, timedelta

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_datetime

from .collection_channel import Outcome, channel_selection, clock

# The time zone of each Brazilian state (IBGE code) off São Paulo's, for
# debtors whose contact has none of its own or only a defaulted one.
STATE_TZ = {
    "AC": "America/Rio_Branco",
    "AL": "America/Maceio",
    "AM": "America/Manaus",
    "AP": "America/Belem",
    "BA": "America/Bahia",
    "CE": "America/Fortaleza",
    "MA": "America/Fortaleza",
    "MS": "America/Campo_Grande",
    "MT": "America/Cuiaba",
    "PA": "America/Belem",
    "PB": "America/Fortaleza",
    "PE": "America/Recife",
    "PI": "America/Fortaleza",
    "RN": "America/Fortaleza",
    "RO": "America/Porto_Velho",
    "RR": "America/Boa_Vista",
    "SE": "America/Maceio",
    "TO": "America/Araguaina",
}
DEFAULT_TZ = "America/Sao_Paulo"
SEARCH_DAYS = 15  # how far ahead a slot is looked for


def state_tz(state):
    """The time zone of a Brazilian state, or False for another country's.

    :param state: res.country.state record, possibly empty
    :return: str, a pytz zone name, or False
    """
    if not state or state.country_id.code != "BR":
        return False
    return STATE_TZ.get(state.code, DEFAULT_TZ)


class CollectionContactWindow(models.Model):
    _name = "collection.contact.window"
    _inherit = "collection.ruler.guard"
    _description = "Collection Contact Hours"
    _order = "country_state_id desc, channel, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        comodel_name="res.company",
        index=True,
        help="Empty: every company.",
    )
    country_state_id = fields.Many2one(
        comodel_name="res.country.state",
        string="Debtor's State",
        help="Empty: the default hours. A state's hours apply to its debtors "
        "on top of the default ones: both must allow the contact.",
    )
    channel = fields.Selection(
        selection=channel_selection,
        help="Empty: the hours of every channel that has none of its own, at "
        "the same level (the default hours, or a state's).",
    )
    weekday_from = fields.Float(string="Monday to Friday, From", default=8.0)
    weekday_to = fields.Float(string="Monday to Friday, To", default=20.0)
    saturday_from = fields.Float(
        string="Saturday, From",
        default=8.0,
        help="From and To equal: never on Saturdays.",
    )
    saturday_to = fields.Float(string="Saturday, To", default=14.0)
    on_holidays = fields.Boolean(
        help="Holidays are the leaves of the company's working calendar. "
        "Sundays are never allowed.",
    )
    citation = fields.Char(
        translate=True,
        help="The law or the practice these hours follow.",
    )

    @api.constrains("weekday_from", "weekday_to", "saturday_from", "saturday_to")
    def _check_hours(self):
        for window in self:
            for start, end in (
                (window.weekday_from, window.weekday_to),
                (window.saturday_from, window.saturday_to),
            ):
                if not 0 <= start <= end <= 24:
                    raise ValidationError(
                        self.env._(
                            "Contact hours run from 0:00 to 24:00, and end after "
                            "they start."
                        )
                    )

    @api.model_create_multi
    def create(self, vals_list):
        windows = super().create(vals_list)
        self._release_waiting()
        return windows

    def write(self, vals):
        res = super().write(vals)
        self._release_waiting()
        return res

    def unlink(self):
        res = super().unlink()
        self._release_waiting()
        return res

    @api.model
    def _release_waiting(self):
        """Hours changed: the steps waiting for today's slot look again at the
        next run."""
        self.env["collection.ruler.event"].sudo().search(
            [("state", "=", "scheduled"), ("not_before", ">", clock(self.env))]
        ).not_before = False

    def _hours_on(self, weekday):
        """(from, to) of this window on ``weekday`` (0 is Monday), or None."""
        self.ensure_one()
        if weekday < 5:
            return self.weekday_from, self.weekday_to
        if weekday == 5 and self.saturday_from < self.saturday_to:
            return self.saturday_from, self.saturday_to
        return None

    # === The engine's use === #

    @api.model
    def _get_windows(self, events):
        """The windows of each event: the default hours and those of its
        debtor's state, for the channel whose hours it keeps
        (``collection.channel._get_contact_hours_channel``). At each level, a
        channel without windows of its own keeps those without a channel.

        :return: dict {event id: windows}, empty for an event that contacts
            nobody at that moment
        """
        codes = {
            event.id: event.step_id._get_channel()._get_contact_hours_channel(event)
            for event in events
        }
        windows = self.search(
            [
                ("channel", "in", [False, *{code for code in codes.values() if code}]),
                ("company_id", "in", [False, *events.company_id.ids]),
            ]
        )

        def own_or_shared(windows, code):
            return windows.filtered(lambda w: w.channel == code) or windows.filtered(
                lambda w: not w.channel
            )

        result = {}
        for event in events:
            code = codes[event.id]
            if not code:
                result[event.id] = self
                continue
            state = event.partner_id.state_id
            mine = windows.filtered(
                lambda w, e=event, s=state: (
                    not w.company_id or w.company_id == e.company_id
                )
                and (not w.country_state_id or w.country_state_id == s)
            )
            # The default hours: a company's own replace the shared ones.
            defaults = mine.filtered(lambda w: not w.country_state_id)
            defaults = own_or_shared(
                defaults.filtered("company_id"), code
            ) or own_or_shared(defaults, code)
            states = own_or_shared(mine.filtered("country_state_id"), code)
            result[event.id] = defaults | states
        return result

    @api.model
    def _get_holidays(self, companies, date_from=None, date_to=None):
        """The holidays of each company, as dates: its working calendar's
        global leaves, and Brazil's national holidays for a company in Brazil.

        :param date date_from, date_to: the days of interest (default: from
            yesterday to the days a slot is looked for in)
        :return: dict {company id: set of dates}
        """
        national = self.env.ref(
            "collection_ruler.resource_calendar_br_holidays", raise_if_not_found=False
        )
        calendars = {
            company: company.resource_calendar_id
            | (
                national
                if national and company.country_id.code == "BR"
                else national.browse()
            )
            for company in companies
        }
        today = clock(self.env).date()
        date_from = date_from or today - timedelta(days=1)
        date_to = date_to or today + timedelta(days=SEARCH_DAYS)
        # The leaves that can matter, of every calendar, in one search (the
        # national holidays belong to no company).
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    (
                        "calendar_id",
                        "in",
                        [c.id for cals in calendars.values() for c in cals],
                    ),
                    ("resource_id", "=", False),
                    (
                        "date_to",
                        ">=",
                        datetime.combine(date_from, time()) - timedelta(days=1),
                    ),
                    (
                        "date_from",
                        "<=",
                        datetime.combine(date_to, time()) + timedelta(days=2),
                    ),
                ]
            )
        )
        holidays = {}
        for company, company_calendars in calendars.items():
            dates = set()
            for leave in leaves.filtered(
                lambda leave, c=company_calendars: leave.calendar_id in c
            ):
                tz = pytz.timezone(leave.calendar_id.tz or "UTC")
                day = pytz.utc.localize(leave.date_from).astimezone(tz).date()
                last = pytz.utc.localize(leave.date_to).astimezone(tz).date()
                while day <= last:
                    dates.add(day)
                    day += timedelta(days=1)
            holidays[company.id] = dates
        return holidays

    @api.model
    def _get_tz(self, partner):
        """The time zone in which the contact hours of ``partner`` are read.

        The contact's own time zone when it was chosen for it; the zone of
        its Brazilian state when the contact has none, or only the one
        defaulted from the user who created it (a São Paulo customer created
        by a user in UTC): see ``res.partner.collection_tz_chosen``. Without
        a Brazilian state, the contact's time zone, else São Paulo's.

        :param partner: res.partner record
        :return: a pytz time zone
        """
        zone = state_tz(partner.state_id)
        if partner.tz and (partner.collection_tz_chosen or not zone):
            return pytz.timezone(partner.tz)
        return pytz.timezone(zone or DEFAULT_TZ)

    @api.model
    def _next_slot(self, windows, local_now, holidays):
        """The first moment from ``local_now`` on that every window allows,
        as a local datetime, or None when there is none within SEARCH_DAYS."""
        for offset in range(SEARCH_DAYS):
            day = local_now.date() + timedelta(days=offset)
            if day.weekday() == 6:
                continue
            if day in holidays and not all(w.on_holidays for w in windows):
                continue
            hours = [w._hours_on(day.weekday()) for w in windows]
            if None in hours:
                continue
            start = max(h[0] for h in hours)
            end = min(h[1] for h in hours)
            if start >= end:
                continue
            opening = local_now.tzinfo.localize(
                datetime.combine(day, time()) + timedelta(hours=start)
            )
            closing = opening + timedelta(hours=end - start)
            if offset == 0 and local_now >= closing:
                continue
            return max(opening, local_now) if offset == 0 else opening
        return None

    @api.model
    def _plan(self, events, todays):
        """Defer the due events that fall outside their contact hours.

        :param events: due, scheduled collection.ruler.event records
        :param dict todays: {company id: today}
        :return: (events to run, {event id: deferred Outcome} of those deferred)
        """
        windows = self._get_windows(events)
        events_with = events.filtered(lambda e: windows[e.id])
        if not events_with:
            return events, {}
        holidays = self._get_holidays(events_with.company_id)
        now = pytz.utc.localize(clock(self.env))
        deferred = {}
        for event in events_with:
            local_now = now.astimezone(self._get_tz(event.partner_id))
            slot = self._next_slot(
                windows[event.id], local_now, holidays[event.company_id.id]
            )
            if slot == local_now:
                continue
            if slot is not None and slot.date() <= todays[event.company_id.id]:
                deferred[event.id] = Outcome.waiting(
                    slot.astimezone(pytz.utc).replace(tzinfo=None),
                    self._get_reason(windows[event.id], slot, event.partner_id),
                )
                continue
            if slot is None:
                date = todays[event.company_id.id] + timedelta(days=SEARCH_DAYS)
                reason = self.env._(
                    "No contact hours allow this channel in the next %(days)s days.",
                    days=SEARCH_DAYS,
                )
            else:
                date = slot.date()
                reason = self._get_reason(windows[event.id], slot, event.partner_id)
            deferred[event.id] = Outcome.deferred(date, reason)
        return events - events.browse(list(deferred)), deferred

    @api.model
    def _get_reason(self, windows, slot, partner):
        """Why a step waits for ``slot`` (the debtor's local time)."""
        return self.env._(
            "Outside the contact hours (%(windows)s): it goes on %(slot)s, "
            "%(customer)s's time.",
            windows=", ".join(windows.mapped("name")),
            slot=format_datetime(
                self.env, slot.replace(tzinfo=None), tz="UTC", dt_format="short"
            ),
            customer=partner.name,
        )
