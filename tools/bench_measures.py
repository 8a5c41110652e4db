"""The measures of ``tools/benchmark.py``: one function per run it times, and
the settings each run needs (the guards off, or every guard on).

The one call into the collection engine is ``run_collection``.
"""

import contextlib
import logging
import sys
import time

# tools/ is the script's directory, first on sys.path.
from bench_data import (
    DUE_TODAY_TEMPLATE,
    company_today,
    mark_done,
    partner_values,
)
from bench_report import Row

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


def configure(env, batch_size):
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


def guards_off(env):
    """Contact hours and the contact cap off: the bench measures the sending
    itself, at whatever hour it runs and however many invoices a customer
    has; the ``guards`` run turns them on (``_guards_on``)."""
    if "collection.contact.window" in env:
        env["collection.contact.window"].search([]).active = False
    if "contact_cap_day" in env["collection.ruler"]._fields:
        env["collection.ruler"].with_context(active_test=False).search([]).write(
            {"contact_cap_day": 0, "contact_cap_week": 0}
        )


def guards_on(env, data):
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
