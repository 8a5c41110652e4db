import logging
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytz
from psycopg2 import errors

from odoo import api, fields, models
from odoo.tools import SQL, config, format_datetime, format_time

from .collection_channel import (
    Outcome,
    clock,
    dry_run,
    is_concurrency_error,
    is_transient_error,
    testing,
)

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200

# Selections of one batch before a run gives up to the other workers.
LOCK_ATTEMPTS = 3
# What may defer a due step, in this order.
# The outcomes a run counts, per channel and in total.
OUTCOMES = tuple("due done failed fell_back deferred skipped cancelled retried".split())


class CollectionRulerRun(models.Model):
    """One run of the collection engine: a cron call or a Run Now.

    The run is a short pipeline, batch after batch of invoices:

    1. ``_select_batch``: the due events of the next customers, locked with
       ``FOR UPDATE SKIP LOCKED`` so that two workers never take the same one
       (a customer's invoices go in one batch, for its digest and its cap);
    2. ``_plan_batch``: the schedule brought up to date, then the catch-up
       rule (``collection.ruler.catchup``) and the guards (``_get_guards``,
       ``collection.ruler.guard``), which defer;
    3. ``_execute_batch``: the events grouped by company and channel, each
       group handed to its channel (``collection.channel.<code>``) in one call;
    4. ``collection.ruler.event._apply_outcomes``: the outcomes written and
       the chatter notes logged in bulk.

    Batches commit outside tests; after its time budget, the run triggers
    the cron again for the rest.
    """

    _name = "collection.ruler.run"
    _description = "Collection Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    number = fields.Char(
        readonly=True,
        copy=False,
        help="The run's number, from the Collection Run sequence. A Preview "
        "simulates runs but draws no number.",
    )
    trigger = fields.Selection(
        selection=[("cron", "Scheduled Action"), ("manual", "Run Now")],
        required=True,
        readonly=True,
    )
    user_id = fields.Many2one(
        comodel_name="res.users", string="Started By", readonly=True
    )
    ruler_ids = fields.Many2many(
        comodel_name="collection.ruler",
        string="Rulers",
        readonly=True,
        help="The rulers Run Now was asked for; empty when the run served all.",
    )
    started_at = fields.Datetime(string="Started On", readonly=True)
    ended_at = fields.Datetime(string="Ended On", readonly=True)
    duration = fields.Float(string="Duration (s)", digits=(16, 1), readonly=True)
    state = fields.Selection(
        selection=[
            ("running", "Running"),
            ("done", "Done"),
            ("continued", "Continued Later"),
            ("failed", "Interrupted"),
        ],
        default="running",
        required=True,
        readonly=True,
        help="Continued Later: the run used its time budget and triggered the "
        "cron again for the rest. Interrupted: the run stopped on an error, "
        "see the server log; what its committed batches did stays done.",
    )
    time_budget = fields.Float(
        string="Time Budget (s)",
        readonly=True,
        help="Seconds after which the run starts no new batch; 0 means none.",
    )
    line_ids = fields.One2many(
        comodel_name="collection.ruler.run.line",
        inverse_name="run_id",
        string="Channels",
        readonly=True,
    )
    due_count = fields.Integer(string="Due", readonly=True)
    done_count = fields.Integer(string="Done", readonly=True)
    failed_count = fields.Integer(string="Failed", readonly=True)
    deferred_count = fields.Integer(string="Deferred", readonly=True)
    skipped_count = fields.Integer(string="Skipped", readonly=True)
    cancelled_count = fields.Integer(string="Cancelled", readonly=True)
    retried_count = fields.Integer(string="Retried", readonly=True)
    fell_back_count = fields.Integer(string="Fell Back", readonly=True)

    @api.depends("number", "started_at")
    def _compute_name(self):
        for run in self:
            date = run.started_at and format_datetime(self.env, run.started_at)
            run.name = self.env._(
                "Run %(number)s of %(date)s", number=run.number or "", date=date or ""
            )

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        # A Preview's runs, rolled back, draw no number: the real runs are
        # numbered one after the other.
        if not dry_run(self.env):
            Sequence = self.env["ir.sequence"].sudo()
            for vals in vals_list:
                if not vals.get("number"):
                    vals["number"] = Sequence.next_by_code("collection.ruler.run")
        return super().create(vals_list)

    # === Entry points === #

    @api.model
    def _cron_run(self):
        """Entry point of the scheduled action: run everything due, as
        superuser (the run serves every company; each channel group runs in
        its invoices' company). An hourly call with nothing due leaves no
        run record: :return: the run, or an empty recordset"""
        self.env["collection.promise"].sudo()._cron_check()
        run = self.browse()
        if self._has_due_work():
            run = self.sudo()._start("cron")
            run._process()
        self.env["collection.bureau.registration"].sudo()._cron_request_removals()
        return run

    @api.model
    def _has_due_work(self, rulers=None, companies=None):
        """Whether a run would find work: an event due today where its
        company is, or, for a run of every ruler, open invoices waiting for
        their schedule (the scheduled action's backfill). One cheap query
        when no event is near.

        :param rulers: collection.ruler records the run serves (Run Now);
            None for all
        :param companies: res.company records the run serves; None for all
        :return: bool
        """
        if rulers is None and self.env["collection.ruler.backfill"]._is_pending():
            return True
        now = clock(self.env)
        domain = [
            ("state", "=", "scheduled"),
            # A day wide (no time zone is a day ahead of UTC), then each
            # company's today: an evening in Brazil is tomorrow in UTC.
            ("scheduled_date", "<=", now.date() + timedelta(days=1)),
            "|",
            ("not_before", "=", False),
            ("not_before", "<=", now),
        ]
        if rulers is not None:
            domain.append(("ruler_id", "in", rulers.ids))
        if companies is not None:
            domain.append(("company_id", "in", companies.ids))
        groups = (
            self.env["collection.ruler.event"]
            .sudo()
            ._read_group(
                domain, groupby=["company_id"], aggregates=["scheduled_date:min"]
            )
        )
        return any(
            first <= company._collection_get_today() for company, first in groups
        )

    @api.model
    def _get_nothing_due_message(self):
        """Why a Run Now finds nothing due: the scheduled run of today that
        already handled the day's steps, at its time in the user's time zone,
        if there is one.

        :return: (message, the scheduled run of today or an empty recordset)
        """
        company = self.env.company
        tz = pytz.timezone(company.partner_id.tz or "UTC")
        today = company._collection_get_today()
        midnight = tz.localize(datetime.combine(today, datetime.min.time()))
        since = midnight.astimezone(pytz.utc).replace(tzinfo=None)
        run = self.search(
            [("trigger", "=", "cron"), ("started_at", ">=", since)], limit=1
        )
        if not run:
            return self.env._("Nothing is due today."), run
        return (
            self.env._(
                "Nothing is due: the scheduled run at %(time)s already handled "
                "today's steps.",
                time=format_time(self.env, run.started_at, time_format="short"),
            ),
            run,
        )

    @api.model
    def _start(self, trigger, rulers=None):
        """Create the run record (``trigger``: cron or manual; ``rulers``:
        those Run Now was asked for), committed so that managers see it."""
        values = {
            "trigger": trigger,
            "user_id": self.env.uid,
            "started_at": clock(self.env),
            "time_budget": self._get_time_budget() or 0,
        }
        if rulers:
            values["ruler_ids"] = [(6, 0, rulers.ids)]
        run = self.create(values)
        self._commit_batch()
        return run

    # === The pipeline === #

    def _process(self, companies=None, batch_size=None):
        """Run every due event, batch after batch, committing between them.

        A crash loses at most the batch under way, which the next run redoes:
        nothing is marked done without being produced, nothing twice.

        :param companies: res.company records to serve (default: all)
        :param int batch_size: customers per batch (default: system parameter)
        :return: Counter of the outcomes
        """
        self.ensure_one()
        started = time.monotonic()
        deadline = started + self.time_budget if self.time_budget else None
        batch_size = batch_size or self._get_batch_size()
        totals, by_channel, todays = Counter(), defaultdict(Counter), {}
        after_partner_id, processed, state = 0, 0, "done"
        backfill = self.env["collection.ruler.backfill"]
        if self.trigger == "cron" and backfill._run(self, deadline) is None:
            self._finish("continued", totals, by_channel, started)
            self.env.ref("collection_ruler.ir_cron_collection_ruler_run")._trigger()
            return totals
        try:
            while True:
                batch, after_partner_id = self._select_batch(
                    companies, batch_size, after_partner_id, todays
                )
                if batch is None:
                    break
                if batch:
                    counts = self._process_batch(batch, todays, deadline)
                    for channel, channel_counts in counts.items():
                        by_channel[channel].update(channel_counts)
                        totals.update(channel_counts)
                    processed += len(batch)
                    self._write_counters(totals, by_channel)
                    self._notify_progress(processed)
                self._commit_batch()
                if deadline and time.monotonic() > deadline:
                    state = "continued"
                    self.env.ref(
                        "collection_ruler.ir_cron_collection_ruler_run"
                    )._trigger()
                    break
        except Exception:
            if not testing() and not dry_run(self.env):
                # Undo the batch under way, and say the run was interrupted.
                self.env.cr.rollback()
                self._finish("failed", totals, by_channel, started)
                self.env.cr.commit()  # pylint: disable=invalid-commit
            raise
        self._finish(state, totals, by_channel, started)
        _logger.info("Collection run %s: %s", self.id, dict(totals))
        return totals

    def _select_batch(self, companies, limit, after_partner_id, todays, attempt=1):
        """Lock the due events of the next ``limit`` customers.

        Raw SQL: the ORM can neither group by customer nor ``SKIP LOCKED``. A
        customer another worker holds any due event of is left to it. The SQL
        date test is a day wide (no time zone is a day ahead of UTC); each
        company's today is applied in Python. Events another worker ran after
        this snapshot cannot be locked: nothing of the batch has run yet, so
        the transaction starts again and its new snapshot shows them done.

        :param int after_partner_id: only customers (commercial partners) after
            this id (keyset paging)
        :param dict todays: {company id: today}, filled as companies appear
        :return: (events, last customer id seen); events is None when nothing
            is left, and may be empty when every customer of the page is busy
            or not due yet
        """
        now = clock(self.env)
        conditions = [
            SQL("state = 'scheduled'"),
            SQL("scheduled_date <= %s", now.date() + timedelta(days=1)),
            # Waiting for today's contact hours (collection_contact_window.py).
            SQL("(not_before IS NULL OR not_before <= %s)", now),
            SQL("COALESCE(partner_id, 0) > %s", after_partner_id),
        ]
        if self.ruler_ids:
            conditions.append(SQL("ruler_id IN %s", tuple(self.ruler_ids.ids)))
        if companies:
            conditions.append(SQL("company_id IN %s", tuple(companies.ids)))
        Event = self.env["collection.ruler.event"]
        Event.flush_model(
            ["state", "scheduled_date", "not_before", "partner_id", "ruler_id"]
        )
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT COALESCE(partner_id, 0), array_agg(company_id), array_agg(id),"
                " array_agg(scheduled_date) FROM collection_ruler_event WHERE %s"
                " GROUP BY COALESCE(partner_id, 0)"
                " ORDER BY COALESCE(partner_id, 0) LIMIT %s",
                SQL(" AND ").join(conditions),
                limit,
            )
        )
        rows = cr.fetchall()
        if not rows:
            return None, after_partner_id
        new_companies = {c for row in rows for c in row[1]} - set(todays)
        for company in self.env["res.company"].browse(new_companies):
            todays[company.id] = company._collection_get_today()
        due = {
            partner_id: [
                event_id
                for event_id, company_id, date in zip(
                    ids, companies_, dates, strict=True
                )
                if date <= todays[company_id]
            ]
            for partner_id, companies_, ids, dates in rows
        }
        due_ids = [event_id for ids in due.values() for event_id in ids]
        if not due_ids:
            return Event, rows[-1][0]
        try:
            cr.execute(
                SQL(
                    "SELECT id, COALESCE(partner_id, 0) FROM collection_ruler_event"
                    " WHERE id IN %s AND state = 'scheduled' FOR UPDATE SKIP LOCKED",
                    tuple(due_ids),
                ),
                log_exceptions=False,
            )
        except errors.SerializationFailure:
            if testing() or dry_run(self.env) or attempt >= LOCK_ATTEMPTS:
                raise
            _logger.info("Collection run %s: events changed by another worker", self.id)
            cr.rollback()
            return self._select_batch(
                companies, limit, after_partner_id, todays, attempt + 1
            )
        locked = defaultdict(list)
        for event_id, partner_id in cr.fetchall():
            locked[partner_id].append(event_id)
        batch_ids = [
            event_id
            for partner_id, ids in due.items()
            if ids and len(locked[partner_id]) == len(ids)
            for event_id in ids
        ]
        return Event.browse(batch_ids), rows[-1][0]

    @api.model
    def _get_guards(self):
        """The guards every batch of due events goes through, in order
        (``collection.ruler.guard``). Extend it with ``super()`` to add one.

        :return: a list of model names, each inheriting collection.ruler.guard
        """
        return [
            "collection.ruler.hold",
            "collection.ruler.pause",
            "collection.contact.window",
            "collection.ruler.cap",
        ]

    def _process_batch(self, events, todays, deadline):
        """Plan, execute and record one batch of due events, company by
        company, in the company's language: its staff reads the reasons and
        notes, whoever started the run. :return: {channel: Counter}
        """
        counts = defaultdict(Counter)
        for company in events.company_id:
            run = self.with_context(lang=company._collection_get_lang())
            part = events.filtered(lambda e, c=company: e.company_id == c)
            run._process_company_batch(part.with_env(run.env), todays, deadline, counts)
        return counts

    def _process_company_batch(self, events, todays, deadline, counts):
        """``_process_batch`` for one company's events; updates ``counts``."""
        Event = self.env["collection.ruler.event"]
        for event in events:
            counts[event.channel]["due"] += 1
        events = self._plan_batch(events, todays, counts)
        to_run, skipped = self.env["collection.ruler.catchup"]._plan(events)
        held = {}
        for guard in self._get_guards():
            to_run, deferred = self.env[guard]._plan(to_run, todays)
            held.update(deferred)
        if held:
            Event._apply_outcomes(held, counts)
        # Stages: the first event of every invoice, then the second... so that
        # a step relying on an earlier one of the same run (a registration on
        # its debit notice) finds it done.
        stages = defaultdict(lambda: Event)
        position = Counter()
        for event in to_run:
            stages[position[event.move_id.id]] |= event
            position[event.move_id.id] += 1
        outcomes = dict(held)
        for stage in sorted(stages):
            stage_outcomes = self._execute_batch(stages[stage], deadline)
            Event._apply_outcomes(stage_outcomes, counts)
            outcomes.update(stage_outcomes)
        Event._apply_skipped(skipped, outcomes, counts)

    def _plan_batch(self, events, todays, counts):
        """Bring the schedule of the batch's invoices up to date.

        The ruler, the due date or the payment may have changed since the
        events were planned: what is no longer due or collectible drops out.

        :return: the events still scheduled and due
        """
        events.move_id._collection_sync_events()
        for event in events.filtered(lambda e: e.state == "cancelled"):
            counts[event.channel]["cancelled"] += 1
        events.write({"run_id": self.id})
        return events.filtered(
            lambda e: e.state == "scheduled"
            and e.scheduled_date <= todays[e.company_id.id]
        )

    def _execute_batch(self, events, deadline):
        """Hand each company's events of each channel to their channel.

        A channel whose batch fails as a whole is given its events one at a
        time, so that only the events at fault fail.

        :return: dict {event id: Outcome}
        """
        Digest = self.env["collection.ruler.digest"]
        groups = defaultdict(lambda: self.env["collection.ruler.event"])
        for event in events:
            groups[event.company_id, event.channel] |= event
        outcomes = {}
        for (company, channel), group in groups.items():
            group = group.with_company(company)
            Channel = group._get_channel_model().with_company(company)
            try:
                with self.env.cr.savepoint():
                    outcomes.update(Digest._execute(Channel, group, deadline))
            except Exception as error:
                if is_concurrency_error(error):
                    raise
                _logger.info("Collection batch of %s failed", channel, exc_info=True)
                for event in group:
                    outcomes[event.id] = self._execute_one(Channel, event, deadline)
        return outcomes

    @api.model
    def _execute_one(self, Channel, event, deadline):
        """Run one event alone through its channel, in a savepoint."""
        try:
            with self.env.cr.savepoint():
                return Channel._run_batch(event, deadline).get(event.id)
        except Exception as error:
            if is_concurrency_error(error):
                raise
            if is_transient_error(error):
                return Outcome.transient(str(error))
            return Outcome.failed(Channel._get_failure_reason(error))

    # === Bookkeeping === #

    def _write_counters(self, totals, by_channel):
        """Write the run's counters, in total and per channel."""
        self.write({f"{outcome}_count": totals[outcome] for outcome in OUTCOMES})
        self.env["collection.ruler.run.line"]._write_counters(self, by_channel)

    def _finish(self, state, totals, by_channel, started):
        counters = {f"{outcome}_count": totals[outcome] for outcome in OUTCOMES}
        now, duration = clock(self.env), time.monotonic() - started
        self.write({"state": state, "ended_at": now, "duration": duration, **counters})

    def _notify_progress(self, processed):
        """Report progress to the cron's progress record, when run by the cron."""
        if not self.env.context.get("ir_cron_progress_id"):
            return
        remaining = self.env["collection.ruler.event"].search_count(
            [("state", "=", "scheduled"), ("scheduled_date", "<=", fields.Date.today())]
        )
        self.env["ir.cron"]._notify_progress(done=processed, remaining=remaining)

    @api.model
    def _commit_batch(self):
        """Commit a finished batch so a later crash cannot undo what was sent
        (not in tests, which run in one transaction they roll back, nor in a
        Preview, which rolls back what it did)."""
        if testing() or dry_run(self.env):
            return
        self.env.cr.commit()  # pylint: disable=invalid-commit

    # ----------------------------------------------------------------------
    # The settings of a run, from system parameters: how many invoices a
    # ----------------------------------------------------------------------

    @api.model
    def _get_param(self, name):
        return (
            self.env["ir.config_parameter"].sudo().get_param(f"collection_ruler.{name}")
        )

    @api.model
    def _get_batch_size(self):
        """Customers per batch: ``collection_ruler.batch_size`` (default 200)."""
        value = self._get_param("batch_size")
        try:
            return max(int(value), 1) if value else DEFAULT_BATCH_SIZE
        except ValueError:
            return DEFAULT_BATCH_SIZE

    @api.model
    def _get_time_budget(self):
        """Seconds a run may spend before leaving the rest to a new cron call:
        ``collection_ruler.time_budget`` (0: none), else half the workers'
        real-time limit for crons, so that a slow batch never gets the worker
        killed. :return: a number of seconds, or None for no budget
        """
        value = self._get_param("time_budget")
        if value not in (None, False, ""):
            try:
                return max(int(value), 0) or None
            except ValueError:
                _logger.warning("Ignoring collection_ruler.time_budget=%r", value)
        limit = config.get("limit_time_real_cron")
        if limit is None or limit < 0:
            limit = config.get("limit_time_real")
        return limit / 2 if limit and limit > 0 else None

    # ----------------------------------------------------------------------
    # What a manager opens from a run: the events it handled.
    # ----------------------------------------------------------------------

    def action_view_events(self):
        """Open the events this run handled, filtered on one outcome."""
        self.ensure_one()
        outcome = self.env.context.get("collection_outcome")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collection_ruler.collection_ruler_event_action"
        )
        domain = [("run_id", "=", self.id)]
        if outcome == "retried":
            domain += [("state", "=", "scheduled"), ("retry_count", ">", 0)]
        elif outcome == "deferred":
            domain += [
                ("state", "=", "scheduled"),
                "|",
                ("deferred_until", "!=", False),
                ("not_before", "!=", False),
            ]
        elif outcome and outcome != "due":
            domain.append(("state", "=", outcome))
        action["domain"] = domain
        action["context"] = {}
        return action
