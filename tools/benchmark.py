"""Measure the collection run at one or more sizes of open invoices.

Run it through ``make bench`` (``bash tools/dev.sh bench -n 2000 -n 10000``),
which creates a throwaway database with collection_ruler installed. The
given database is never modified: for each size, a template database is
built once from a copy of it (posted customer invoices created in bulk,
a fixed number of them due per run, the others due later or already
handled), and every measure runs on a fresh ``CREATE DATABASE ... TEMPLATE``
copy of it, so each sees identical data. For each size it times one run of
the email, SMS and call steps (and letters with ``--letters``), Odoo's own
mass-mail composer sending the same template to the same invoices (the
floor), a catch-up run over invoices weeks late, a run with nothing due and
the day-one backfill of every open invoice, and the email step again with
every guard on (contact hours, contact cap, one digest per customer), and
the Collection Preview of the next 7 days, then prints a Markdown table for
the README. Every database it creates is dropped at the end, even on error.

The one call into the collection engine is ``run_collection``.
"""

import argparse
import contextlib
import logging
import os
import shlex
import signal
import sys
import time
import traceback
from shutil import which

# tools/ is the script's directory, first on sys.path.
from bench_data import (
    DUE_TODAY_TEMPLATE,
    DataSet,
    company_today,
    mark_done,
    partner_values,
)
from bench_db import Databases, environment
from bench_report import Row, markdown, print_row

import odoo

DEFAULT_DUE = 250
DIGEST_SIZE = 5  # due invoices per customer in the guards run
BACKFILL_PARAM = "collection_ruler.backfill_pending"
ARTIFACTS = {
    "mails": ("mail.mail", [("model", "=", "account.move")]),
    "SMS": ("sms.sms", []),
    "activities": ("mail.activity", [("res_model", "=", "account.move")]),
    "messages": ("mail.message", [("model", "=", "account.move")]),
}


def run_collection(env, rulers):
    """Run the collection work due today, as the cron does.

    The only call into the engine, whose API is being rewritten: this is
    the one place to follow it. It starts a run record and processes it, as
    ``collection.ruler.run._cron_run`` does (without the credit-bureau
    removals, which are not collection work); with the engine of before
    ``collection.ruler.run``, it calls ``_run_due_events``.

    :param rulers: collection.ruler records, or None for every ruler
    """
    if "collection.ruler.run" in env:
        run = env["collection.ruler.run"]._start("cron", rulers=rulers)
        return run._process()
    return env["collection.ruler.event"]._run_due_events(rulers=rulers)


def send_with_composer(env, template, move_ids):
    """Send ``template`` to invoices with Odoo's mass-mail composer."""
    composer = env["mail.compose.message"].create(
        {
            "composition_mode": "mass_mail",
            "model": "account.move",
            "res_ids": repr(list(move_ids)),
            "template_id": template.id,
            "force_send": False,
        }
    )
    composer._action_send_mail()


# --------------------------------------------------------------------------
# Measures
# --------------------------------------------------------------------------


def _timed(env, call):
    """Run ``call`` and return its seconds, its queries on ``env.cr``, and
    those on every cursor (a difference means work done on other cursors)."""
    env.flush_all()
    env.invalidate_all()
    queries, queries_all = env.cr.sql_log_count, odoo.sql_db.sql_counter
    started = time.perf_counter()
    call()
    env.flush_all()
    seconds = time.perf_counter() - started
    return (
        seconds,
        env.cr.sql_log_count - queries,
        odoo.sql_db.sql_counter - queries_all,
    )


class _QueryLog(logging.Handler):
    """Keep the text of the queries that Odoo logs at the debug level."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.queries = []

    def emit(self, record):
        message = record.getMessage()
        if " query: " in message:
            self.queries.append(" ".join(message.split(" query: ", 1)[1].split()))


@contextlib.contextmanager
def _logged_queries():
    logger = logging.getLogger("odoo.sql_db")
    handler, level, propagate = _QueryLog(), logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield handler.queries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate


def _artifacts(env):
    return {
        name: env[model].sudo().search_count(domain)
        for name, (model, domain) in ARTIFACTS.items()
    }


def _event_states(env, ruler_ids):
    """Counts of events per state, and of the scheduled ones that are due."""
    Event = env["collection.ruler.event"]
    domain = [("step_id.ruler_id", "in", ruler_ids)] if ruler_ids else []
    states = dict(Event._read_group(domain, ["state"], ["__count"]))
    due = Event.search_count(
        [
            *domain,
            ("state", "=", "scheduled"),
            ("scheduled_date", "<=", company_today(env)),
        ]
    )
    return states, due


def _describe(before, after):
    return ", ".join(
        f"{after[k] - before[k]} {k}" for k in after if after[k] != before[k]
    )


def measure_run(env, data, group, size):
    """Warm up on the group's twin ruler, then time the group's run."""
    Ruler = env["collection.ruler"]
    run_collection(env, Ruler.browse(data.warm_up_rulers[group]))
    env.cr.commit()
    ruler = Ruler.browse(data.rulers[group])
    states, due = _event_states(env, ruler.ids)
    artifacts = _artifacts(env)
    seconds, queries, queries_all = _timed(env, lambda: run_collection(env, ruler))
    env.cr.commit()
    states_after, due_after = _event_states(env, ruler.ids)
    keys = set(states) | set(states_after)
    before = {k: states.get(k, 0) for k in keys - {"scheduled"}}
    after = {k: states_after.get(k, 0) for k in before}
    note = _describe({**before, **artifacts}, {**after, **_artifacts(env)})
    failed = env["collection.ruler.event"].search(
        [("step_id.ruler_id", "=", ruler.id), ("state", "=", "failed")], limit=1
    )
    if failed:
        note += f"; first failure: {failed.failure_reason}"
    deferred = env["collection.ruler.event"].search(
        [
            ("step_id.ruler_id", "=", ruler.id),
            ("state", "=", "scheduled"),
            ("failure_reason", "!=", False),
        ],
        limit=1,
    )
    if deferred:
        note += f"; first deferred: {deferred.failure_reason}"
    if due_after:
        note += f"; {due_after} still due after the run"
    row = Row(size, group, due - due_after, seconds, queries, note)
    row.extra["other cursors"] = queries_all - queries
    return row


def measure_floor(env, data, size, tokens=False):
    """Time the mass-mail composer on the email step's invoices.

    The template prints the invoice's pay link, so the composer saves a
    portal token on each invoice that has none, one ``account.move.write``
    each; with ``tokens`` the invoices get theirs before the measure, as
    invoices already sent to the customer have.
    """
    template = env.ref(DUE_TODAY_TEMPLATE)
    move_ids = data.due_moves["email"]
    if tokens:
        for move in env["account.move"].browse(data.warm_up_moves["email"] + move_ids):
            move._portal_ensure_token()
    send_with_composer(env, template, data.warm_up_moves["email"])
    env.cr.commit()
    artifacts = _artifacts(env)
    seconds, queries, queries_all = _timed(
        env, lambda: send_with_composer(env, template, move_ids)
    )
    note = _describe(artifacts, _artifacts(env))
    run = "floor_tokens" if tokens else "floor"
    row = Row(size, run, len(move_ids), seconds, queries, note)
    row.extra["other cursors"] = queries_all - queries
    return row


def measure_idle(env, data, size):
    """Mark what is due done, then time two runs; the second one counts.

    A third run, not timed, logs the text of its queries.
    """
    handled = mark_done(env, [("scheduled_date", "<=", company_today(env))])
    env.cr.commit()
    cold = _timed(env, lambda: run_collection(env, None))
    env.cr.commit()
    seconds, queries, queries_all = _timed(env, lambda: run_collection(env, None))
    env.cr.commit()
    with _logged_queries() as logged:
        _timed(env, lambda: run_collection(env, None))
    note = (
        f"over {size} open invoices ({handled} due events marked done first); "
        f"first run: {cold[1]} queries, {1000 * cold[0]:.1f} ms"
    )
    row = Row(size, "idle", 0, seconds, queries, note)
    row.extra["queries"] = logged
    row.extra["other cursors"] = queries_all - queries
    return row


def measure_preview(env, data, size):
    """Time the Collection Preview of the next 7 days, which simulates every
    scheduled run of those days and rolls them back. Its events are the
    lines it lists."""
    if "collection.ruler.preview" not in env:
        raise RuntimeError("this engine has no preview")
    preview = env["collection.ruler.preview"].create({"days": 7})
    env.cr.commit()
    seconds, queries, queries_all = _timed(env, preview.action_preview)
    env.cr.commit()
    counts = {}
    for outcome in preview.line_ids.mapped("outcome"):
        counts[outcome] = counts.get(outcome, 0) + 1
    note = ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items()))
    row = Row(size, "preview", len(preview.line_ids), seconds, queries, note)
    row.extra["other cursors"] = queries_all - queries
    return row


def measure_backfill(env, data, size):
    """Delete every event, as on the day of the install, then time the
    backfill that the first scheduled run does over all open invoices."""
    if "collection.ruler.backfill" not in env:
        raise RuntimeError("this engine has no backfill")
    env.cr.execute("DELETE FROM collection_ruler_event")
    env["ir.config_parameter"].sudo().set_param(BACKFILL_PARAM, "1")
    env.cr.commit()
    run = env["collection.ruler.run"]._start("cron")
    env.cr.commit()
    counts = []
    seconds, queries, queries_all = _timed(
        env, lambda: counts.append(env["collection.ruler.backfill"]._run(run))
    )
    env.cr.commit()
    events = env["collection.ruler.event"].search_count([])
    note = f"{events} events created, the steps already past marked not sent"
    row = Row(size, "backfill", counts[0] or 0, seconds, queries, note)
    row.extra["other cursors"] = queries_all - queries
    return row


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def _engine_default_batch_size():
    for name, module in list(sys.modules.items()):
        if name.startswith("odoo.addons.collection_ruler"):
            value = getattr(module, "DEFAULT_BATCH_SIZE", None)
            if isinstance(value, int):
                return value
    return None


def _configure(env, batch_size):
    """No time budget: one run does all the due work (0 = no budget)."""
    params = env["ir.config_parameter"].sudo()
    params.set_param("collection_ruler.time_budget", "0")
    batch_size = batch_size or _engine_default_batch_size()
    params.set_param("collection_ruler.batch_size", batch_size or False)
    # The install asks the first run to schedule the invoices that have no
    # events; the data built here has them all, and measure_backfill times
    # that work alone.
    params.set_param(BACKFILL_PARAM, False)
    return batch_size or "the engine's default"


def _guards_off(env):
    """Contact hours and the contact cap off: the bench measures the sending
    itself, at whatever hour it runs and however many invoices a customer
    has; the ``guards`` run turns them on (``_guards_on``)."""
    if "collection.contact.window" in env:
        env["collection.contact.window"].search([]).active = False
    if "contact_cap_day" in env["collection.ruler"]._fields:
        env["collection.ruler"].with_context(active_test=False).search([]).write(
            {"contact_cap_day": 0, "contact_cap_week": 0}
        )


def _guards_on(env, data):
    """Every guard on, for the ``guards`` run: the contact hours checked but
    open all day (the bench runs at any hour; a Sunday or a holiday would
    still defer everything), the contact cap at its defaults of 1 a day and
    3 a week, and the digest on. The email step's due invoices go five to a
    customer, so that digests form: 250 events make 50 emails."""
    env["collection.contact.window"].with_context(active_test=False).search([]).write(
        {
            "active": True,
            "weekday_from": 0,
            "weekday_to": 24,
            "saturday_from": 0,
            "saturday_to": 24,
        }
    )
    env["collection.ruler"].with_context(active_test=False).search([]).write(
        {"contact_cap_day": 1, "contact_cap_week": 3, "digest": True}
    )
    # Customers of their own: the warm-up run contacts the bench's customers,
    # and the cap would defer a second contact the same day.
    moves = data.due_moves["email"]
    country = env.ref("base.br")
    partners = env["res.partner"].create(
        [
            partner_values(9000 + index, country)
            for index in range(-(-len(moves) // DIGEST_SIZE))
        ]
    )
    cr = env.cr
    for index, move_id in enumerate(moves):
        partner_id = partners[index // DIGEST_SIZE].id
        cr.execute(
            "UPDATE account_move SET partner_id = %s, commercial_partner_id = %s"
            " WHERE id = %s",
            (partner_id, partner_id, move_id),
        )
        cr.execute(
            "UPDATE account_move_line SET partner_id = %s WHERE move_id = %s",
            (partner_id, move_id),
        )
        cr.execute(
            "UPDATE collection_ruler_event SET partner_id = %s WHERE move_id = %s",
            (partner_id, move_id),
        )
    env.invalidate_all()


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True, help="left unchanged")
    parser.add_argument(
        "-n",
        "--invoices",
        type=int,
        action="append",
        help="open posted customer invoices; repeat for several sizes "
        "(default 2000)",
    )
    parser.add_argument("--sizes", help="sizes separated by commas: 2000,10000")
    parser.add_argument(
        "--due",
        type=int,
        help=f"invoices due per run, the same at every size (default "
        f"{DEFAULT_DUE}, fewer if the smallest size is small)",
    )
    parser.add_argument(
        "--catch-up", type=int, help="invoices weeks late (default: --due)"
    )
    parser.add_argument(
        "-l", "--letters", type=int, default=0, help="letters with real PDFs"
    )
    parser.add_argument("--partners", type=int, default=300)
    parser.add_argument("--batch-size", type=int, help="default: the engine's")
    # ``make bench`` passes no arguments: BENCH_ARGS="-n 2000 -n 10000" does.
    args = parser.parse_args(
        sys.argv[1:] + shlex.split(os.environ.get("BENCH_ARGS", ""))
    )
    sizes = set(args.invoices or [])
    if args.sizes:
        sizes |= {int(size) for size in args.sizes.split(",") if size.strip()}
    args.sizes = sorted(sizes or {2000})
    if args.due is None:
        # Leave at least 40% of the smallest size not due.
        room = int(0.6 * args.sizes[0]) - args.letters - 21
        args.due = max(1, min(DEFAULT_DUE, room // 4))
    due = {"email": args.due, "sms": args.due, "call": args.due}
    due.update(letter=args.letters, catch_up=args.catch_up or args.due)
    args.data = DataSet(due, args.partners)
    if args.data.fixed > args.sizes[0]:
        parser.error(
            f"{args.data.fixed} invoices are due or warm up: -n must be at least that"
        )
    return args


def benchmark(args, databases):
    rows = []
    data = args.data
    source = args.database
    due = ", ".join(f"{group} {count}" for group, count in data.due.items())
    print(
        f"Sizes {args.sizes}. Invoices due per run, at every size: {due} (a "
        f"catch-up invoice has 5 due events). {data.partner_count} customers; "
        f"{data.fixed} invoices due or warming up.",
        flush=True,
    )
    if data.due.get("letter") and not which("wkhtmltopdf"):
        print("warning: no wkhtmltopdf: letters will not be real PDFs", flush=True)
    for size in args.sizes:
        started = time.perf_counter()
        template = databases.copy(source, f"{args.database}_n{size}")
        print(f"\n{size} open invoices: building {template}", flush=True)
        with environment(template) as env:
            if source == args.database:
                batch_size = _configure(env, args.batch_size)
                print(f"  benchmark day: {company_today(env)}", flush=True)
                data.build(env, size, print)
                _guards_off(env)
                print(f"  batch size: {batch_size}, no time budget", flush=True)
                print("  contact hours and contact cap off", flush=True)
            else:
                data.grow(env, size, print)
            Move = env["account.move"]
            open_count = Move.search_count(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ]
            )
        if source != args.database:
            databases.drop(source)
        source = template
        built = time.perf_counter() - started
        print(f"  {open_count} open invoices ready in {built:.0f} s", flush=True)
        runs = [g for g in ("email", "sms", "call", "letter") if g in data.due]
        runs += ["guards", "floor", "floor_tokens", "catch_up", "idle", "backfill"]
        runs.append("preview")
        for run in runs:
            copy = databases.copy(template, f"{template}_{run}")
            try:
                with environment(copy) as env:
                    if run.startswith("floor"):
                        row = measure_floor(env, data, size, run == "floor_tokens")
                    elif run == "idle":
                        row = measure_idle(env, data, size)
                    elif run == "backfill":
                        row = measure_backfill(env, data, size)
                    elif run == "preview":
                        row = measure_preview(env, data, size)
                    elif run == "guards":
                        _guards_on(env, data)
                        env.cr.commit()
                        row = measure_run(env, data, "email", size)
                        row.run = "guards"
                    else:
                        row = measure_run(env, data, run, size)
            except Exception as error:  # noqa: BLE001 - report, measure the rest
                traceback.print_exc()
                row = Row(size, run, error=f"{type(error).__name__}: {error}")
            finally:
                databases.drop(copy)
            print_row(row)
            rows.append(row)
        total = time.perf_counter() - started
        print(
            f"  {size} invoices: {total:.0f} s in all ({built:.0f} s to build, "
            f"{total - built:.0f} s to measure)",
            flush=True,
        )
    return rows


def _terminate(signum, _frame):
    # Turn a kill into an exception, so that the databases are dropped.
    raise SystemExit(128 + signum)


def main():
    args = parse_args()
    # No cron time limit: the run must not stop halfway and leave the rest
    # to a later cron call, which would cut the measure short.
    odoo.tools.config.parse_config(
        [
            "-c",
            args.config,
            "-d",
            args.database,
            "--limit-time-real=0",
            "--limit-time-real-cron=0",
        ]
    )
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    databases = Databases()
    started = time.perf_counter()
    try:
        rows = benchmark(args, databases)
    finally:
        databases.drop_all()
    print(f"\nTotal: {time.perf_counter() - started:.0f} s\n")
    print(markdown(rows))
    return 1 if any(row.error for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
