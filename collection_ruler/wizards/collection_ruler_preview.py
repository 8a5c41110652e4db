"""The Preview: what the next days of collection runs would do, doing nothing.

The Preview runs the real engine (``collection.ruler.run``: the schedule, the
catch-up rule, the guards, the digest, the fallbacks) at each time the
scheduled action would run in the next days, on a simulated clock
(``collection_now``), in a savepoint it rolls back. Channels then send
nothing (``collection.channel._preview_batch``): an event whose customer
can be reached is done, one who cannot fails or falls back, as it would.
What the runs did is read back before the rollback, and listed with its
estimated cost (``collection.channel.cost``).

A run is simulated only when something can have changed since the last
one: a new day in a company's time zone, or the contact hours an event
waits for opening. The runs in between find nothing to do.
"""

from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..models.collection_channel import channel_selection

MAX_DAYS = 31
# Runs at one time: the first, and the ones a fallback triggers right away.
MAX_RERUNS = 3

PREVIEW_OUTCOMES = [
    ("send", "Goes Out"),
    ("cover", "Covered by an Earlier Letter"),
    ("fail", "Fails"),
    ("fall_back", "Falls Back"),
    ("wait", "Waits for Contact Hours"),
    ("defer", "Deferred"),
    ("skip", "Skipped"),
    ("cancel", "Cancelled"),
]


class CollectionRulerPreview(models.TransientModel):
    _name = "collection.ruler.preview"
    _description = "Collection Preview"

    days = fields.Integer(
        string="Next Days",
        default=7,
        required=True,
        help=f"How many days ahead to look, {MAX_DAYS} at most.",
    )
    ruler_ids = fields.Many2many(
        comodel_name="collection.ruler",
        string="Rulers",
        help="Empty: every ruler.",
    )
    date_from = fields.Datetime(string="From", readonly=True)
    date_to = fields.Datetime(string="To", readonly=True)
    line_ids = fields.One2many(
        comodel_name="collection.ruler.preview.line",
        inverse_name="preview_id",
        string="What Would Happen",
        readonly=True,
    )
    cost_ids = fields.One2many(
        comodel_name="collection.ruler.preview.cost",
        inverse_name="preview_id",
        string="Estimated Costs",
        readonly=True,
    )
    show_skipped = fields.Boolean(
        string="Show Skipped Steps",
        help="A late run sends the latest due step of an invoice and skips the "
        "missed ones: list those too.",
    )
    visible_line_ids = fields.One2many(
        comodel_name="collection.ruler.preview.line",
        compute="_compute_visible_line_ids",
        string="Steps",
    )
    message_count = fields.Integer(
        string="Messages Going Out",
        readonly=True,
        help="The emails, SMS, WhatsApp messages, calls and letters the runs "
        "would make, every channel together; a message listing several "
        "invoices counts once. The Estimated Cost tab splits them by channel "
        "and provider.",
    )
    skipped_count = fields.Integer(string="Skipped (Late Run)", readonly=True)
    deferred_count = fields.Integer(string="Deferred or Waiting", readonly=True)
    failed_count = fields.Integer(string="Failing", readonly=True)

    @api.depends("days", "date_from")
    def _compute_display_name(self):
        for preview in self:
            preview.display_name = self.env._(
                "Collection Preview, next %(days)s days", days=preview.days
            )

    @api.depends("line_ids", "show_skipped")
    def _compute_visible_line_ids(self):
        for preview in self:
            preview.visible_line_ids = preview.line_ids.filtered(
                lambda line, p=preview: p.show_skipped or line.outcome != "skip"
            )

    @api.constrains("days")
    def _check_days(self):
        if any(not 1 <= preview.days <= MAX_DAYS for preview in self):
            raise ValidationError(
                self.env._("A preview looks 1 to %(days)s days ahead.", days=MAX_DAYS)
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "collection.ruler":
            ids = self.env.context.get("active_ids") or []
            values["ruler_ids"] = [fields.Command.set(ids)]
        return values

    def action_preview(self):
        """Simulate the runs of the next days and list what they would do.

        The Preview opens full-screen: returning nothing, the button reloads
        the form, which then shows the lines."""
        self.ensure_one()
        self.env["collection.ruler"].check_access("write")
        start = fields.Datetime.now().replace(second=0, microsecond=0)
        end = start + timedelta(days=self.days)
        records = self._simulate(start, end)
        self.line_ids.unlink()
        self.cost_ids.unlink()
        self.write(
            {
                "date_from": start,
                "date_to": end,
                "line_ids": [fields.Command.create(vals) for vals in records],
            }
        )
        self._write_costs()

    # === The simulation === #

    def _simulate(self, start, end):
        """Run the engine at every scheduled time from ``start`` to ``end``,
        in a savepoint rolled back. :return: list of line values"""
        cron = self.env.ref("collection_ruler.ir_cron_collection_ruler_run").sudo()
        interval = relativedelta(**{cron.interval_type: cron.interval_number})
        # The grid of the scheduled action's calls, from its next one.
        first = start
        if cron.active and start <= cron.nextcall <= start + interval:
            first = cron.nextcall
        Run = (
            self.env["collection.ruler.run"]
            .sudo()
            .with_context(collection_preview=True)
        )
        records, seen = [], set()
        savepoint = self.env.cr.savepoint()
        try:
            tick = first
            while tick < end:
                for rerun in range(MAX_RERUNS):
                    at = tick + timedelta(minutes=rerun)
                    run = self._simulate_run(Run.with_context(collection_now=at))
                    if not run:
                        break
                    records += self._read_run(run, at, seen)
                tick = self._next_tick(
                    Run.with_context(collection_now=tick), first, interval
                )
        finally:
            savepoint.close(rollback=True)
        return records

    def _simulate_run(self, Run):
        """One scheduled run at the simulated time: :return: the run, or an
        empty recordset when it would find nothing to do"""
        Run.env["collection.promise"]._cron_check()
        if not Run._has_due_work():
            return Run.browse()
        run = Run._start("cron", rulers=self.ruler_ids)
        run.time_budget = 0
        run._process(companies=self.env.companies)
        return run

    def _read_run(self, run, at, seen):
        """What ``run`` did with each event, as line values; an outcome
        already listed (an event deferred again for the same reason) is not
        listed twice. ``seen`` is updated in place."""
        records = []
        events = run.env["collection.ruler.event"].search(
            [("run_id", "=", run.id)], order="id"
        )
        for event in events:
            outcome = self._get_outcome(event, at)
            key = (event.id, outcome, event.failure_reason or "")
            if outcome is None or key in seen:
                continue
            seen.add(key)
            when = event.executed_at if event.state != "scheduled" else at
            records.append(
                {
                    "at": when,
                    "outcome": outcome,
                    "move_id": event.move_id.id,
                    "partner_id": event.partner_id.id,
                    "ruler_id": event.ruler_id.id,
                    "step_id": event.step_id.id,
                    "channel": event.channel,
                    "company_id": event.company_id.id,
                    "reason": event.failure_reason or False,
                    "deferred_until": outcome == "defer" and event.scheduled_date,
                    "not_before": outcome == "wait" and event.not_before,
                    "digest_move_id": event.digest_event_id.move_id.id,
                }
            )
        return records

    @api.model
    def _get_outcome(self, event, at):
        """The line's outcome for what the run left ``event`` in."""
        if event.state == "scheduled":
            if event.not_before and event.not_before > at:
                return "wait"
            return "defer" if event.failure_reason else None
        if event.state == "done" and event.covered_event_id:
            return "cover"
        return {
            "done": "send",
            "failed": "fail",
            "fell_back": "fall_back",
            "skipped": "skip",
            "cancelled": "cancel",
        }.get(event.state)

    def _next_tick(self, Run, first, interval):
        """The next scheduled time at which a run can find work: a new day in
        a company's time zone, or the hour an event waits for."""
        now = Run.env.context["collection_now"]
        candidates = []
        for company in self.env.companies:
            tz = pytz.timezone(company.partner_id.tz or "UTC")
            local = pytz.utc.localize(now).astimezone(tz)
            midnight = tz.localize(
                datetime.combine(local.date() + timedelta(days=1), time())
            )
            candidates.append(midnight.astimezone(pytz.utc).replace(tzinfo=None))
        Event = Run.env["collection.ruler.event"]
        waiting = Event.search(
            [("state", "=", "scheduled"), ("not_before", ">", now)],
            order="not_before",
            limit=1,
        )
        if waiting:
            candidates.append(waiting.not_before)
        target = min(candidates)
        tick = first
        while tick <= now or tick < target:
            tick += interval
        return tick

    def _write_costs(self):
        """Sum up the messages that would go out, and their estimated cost,
        per company, channel and provider. A digest is one message."""
        Cost = self.env["collection.channel.cost"]
        costs = Cost._get_unit_costs(self.env.companies)
        totals = {}
        for line in self.line_ids.filtered(
            lambda line: line.outcome == "send" and not line.digest_move_id
        ):
            key = (line.company_id, line.channel)
            totals.setdefault(key, 0)
            totals[key] += 1
        values = []
        for (company, channel), count in totals.items():
            Channel = self.env[f"collection.channel.{channel}"]
            provider = Channel._get_provider(company)
            unit = Cost._get_unit_cost(costs, company, channel, provider)
            values.append(
                {
                    "preview_id": self.id,
                    "company_id": company.id,
                    "channel": channel,
                    "provider_id": provider.id,
                    "message_count": count,
                    "unit_cost": unit,
                    "total": unit * count,
                }
            )
        self.env["collection.ruler.preview.cost"].create(values)
        self.write(
            {
                "message_count": sum(totals.values()),
                "deferred_count": len(
                    self.line_ids.filtered(
                        lambda line: line.outcome in ("wait", "defer")
                    )
                ),
                "skipped_count": len(
                    self.line_ids.filtered(lambda line: line.outcome == "skip")
                ),
                "failed_count": len(
                    self.line_ids.filtered(
                        lambda line: line.outcome in ("fail", "fall_back")
                    )
                ),
            }
        )


class CollectionRulerPreviewLine(models.TransientModel):
    _name = "collection.ruler.preview.line"
    _description = "Collection Preview Line"
    _order = "at, partner_id, move_id, id"

    preview_id = fields.Many2one(
        comodel_name="collection.ruler.preview", required=True, ondelete="cascade"
    )
    at = fields.Datetime(string="When", required=True)
    outcome = fields.Selection(selection=PREVIEW_OUTCOMES, required=True)
    move_id = fields.Many2one(comodel_name="account.move", string="Invoice")
    partner_id = fields.Many2one(comodel_name="res.partner", string="Customer")
    ruler_id = fields.Many2one(comodel_name="collection.ruler", string="Ruler")
    step_id = fields.Many2one(comodel_name="collection.ruler.step", string="Step")
    channel = fields.Selection(
        selection=channel_selection,
    )
    company_id = fields.Many2one(comodel_name="res.company")
    reason = fields.Char(string="Why")
    deferred_until = fields.Date()
    not_before = fields.Datetime(string="Waits Until")
    digest_move_id = fields.Many2one(
        comodel_name="account.move",
        string="In the Message Of",
        help="The invoice whose message lists this one: one message per customer.",
    )


class CollectionRulerPreviewCost(models.TransientModel):
    _name = "collection.ruler.preview.cost"
    _description = "Collection Preview Cost"
    _order = "company_id, channel"

    preview_id = fields.Many2one(
        comodel_name="collection.ruler.preview", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(comodel_name="res.company")
    channel = fields.Selection(
        selection=channel_selection,
    )
    provider_id = fields.Many2one(comodel_name="collection.provider", string="Provider")
    message_count = fields.Integer(
        string="Billed Messages",
        help="The messages of this channel and provider that the estimate "
        "prices at the cost per message; a message listing several invoices "
        "is billed once.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    unit_cost = fields.Monetary(string="Cost per Message")
    total = fields.Monetary(string="Estimated Cost")
