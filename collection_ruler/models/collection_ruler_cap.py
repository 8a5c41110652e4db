"""The contact cap: how often one customer may be contacted, across channels.

A ruler sets the most contacts a customer may receive in a day and in any
7 days running (1 and 3 by default; 0 lifts a limit). A step over the cap is
deferred to the next day the cap allows, never dropped, and the timeline
says why. Steps with legal weight (a debit notice, a credit-bureau
registration) are never deferred by the cap, but they count towards it.
"""

from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import api, models
from odoo.tools import SQL

from .collection_channel import Outcome, clock

WEEK = 7  # days of the rolling window


def _counts(traits):
    """Whether a step counts towards the cap: a contact with the customer,
    or a step with legal weight (a credit-bureau registration included)."""
    return traits["counts_as_contact"] or traits["legal_weight"]


class CollectionRulerCap(models.AbstractModel):
    _name = "collection.ruler.cap"
    _inherit = "collection.ruler.guard"
    _description = "Collection Contact Cap"

    @api.model
    def _get_recent_contacts(self, partners, since):
        """The days each customer was contacted on, from ``since`` on.

        One grouped query for the whole batch.

        :param partners: res.partner records (commercial partners)
        :param datetime since: the earliest contact time of interest (UTC)
        :return: dict {partner id: list of dates, in each company's time zone}
        """
        Event = self.env["collection.ruler.event"]
        Event.flush_model(
            [
                "partner_id",
                "state",
                "executed_at",
                "step_id",
                "digest_event_id",
                "covered_event_id",
            ]
        )
        self.env.cr.execute(
            SQL(
                "SELECT partner_id, step_id, company_id, executed_at"
                " FROM collection_ruler_event"
                " WHERE partner_id IN %s AND state = 'done' AND executed_at >= %s"
                # A digest is one contact: its primary event counts it. A step
                # an earlier letter covered contacted nobody.
                " AND digest_event_id IS NULL AND covered_event_id IS NULL",
                tuple(partners.ids),
                since,
            )
        )
        rows = self.env.cr.fetchall()
        steps = self.env["collection.ruler.step"].browse({row[1] for row in rows})
        traits = self.env["collection.ruler.catchup"]._get_step_traits(steps)
        zones = {
            company.id: pytz.timezone(company.partner_id.tz or "UTC")
            for company in self.env["res.company"].browse({row[2] for row in rows})
        }
        contacts = defaultdict(list)
        for partner_id, step_id, company_id, executed_at in rows:
            if _counts(traits[steps.browse(step_id)]):
                local = pytz.utc.localize(executed_at).astimezone(zones[company_id])
                contacts[partner_id].append(local.date())
        return contacts

    @api.model
    def _next_allowed_day(self, dates, today, per_day, per_week):
        """The first day from ``today`` on when one more contact keeps within
        the limits, given the days of the contacts already made."""
        day = today
        for _attempt in range(WEEK + 1):
            in_day = sum(1 for d in dates if d == day)
            in_week = sum(1 for d in dates if day - timedelta(days=WEEK) < d <= day)
            if (not per_day or in_day < per_day) and (
                not per_week or in_week < per_week
            ):
                return day
            day += timedelta(days=1)
        return day

    @api.model
    def _plan(self, events, todays):
        """Defer the due events that would contact a customer over the cap.

        :param events: due, scheduled collection.ruler.event records
        :param dict todays: {company id: today}
        :return: (events to run, {event id: deferred Outcome} of those deferred)
        """
        traits = self.env["collection.ruler.catchup"]._get_step_traits(events.step_id)
        contacting = events.filtered(
            lambda e: _counts(traits[e.step_id])
            and (e.ruler_id.contact_cap_day or e.ruler_id.contact_cap_week)
        )
        if not contacting:
            return events, {}
        since = clock(self.env) - timedelta(days=WEEK + 1)
        contacts = self._get_recent_contacts(contacting.partner_id, since)
        # Legal steps first: they go whatever the count, and count.
        ordered = contacting.sorted(
            lambda e: (
                not traits[e.step_id]["legal_weight"],
                e.scheduled_date,
                e.step_sequence,
                e.id,
            )
        )
        deferred = {}
        # The events one digest message carries count once, and go together.
        Digest = self.env["collection.ruler.digest"]
        digest_days = {}
        for event in ordered:
            dates = contacts[event.partner_id.id]
            today = todays[event.company_id.id]
            ruler = event.ruler_id
            key = Digest._get_key(event._get_channel_model(), event)
            key = key and (event.company_id.id, event.channel, key)
            if key is not None and key in digest_days:
                day = digest_days[key]
            elif traits[event.step_id]["legal_weight"]:
                day = today
                dates.append(today)
            else:
                day = self._next_allowed_day(
                    dates, today, ruler.contact_cap_day, ruler.contact_cap_week
                )
                if day == today:
                    dates.append(today)
            if key is not None:
                digest_days[key] = day
            if day == today:
                continue
            deferred[event.id] = Outcome.deferred(
                day,
                self.env._(
                    "%(customer)s reached the contact limit of the ruler "
                    "(%(per_day)s a day, %(per_week)s in 7 days; 0 is no limit).",
                    customer=event.partner_id.name,
                    per_day=ruler.contact_cap_day,
                    per_week=ruler.contact_cap_week,
                ),
            )
        return events - events.browse(list(deferred)), deferred
