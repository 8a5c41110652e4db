"""Time the install of collection_ruler on a database full of open invoices.

Run it through ``make bench-install`` (``bash tools/dev.sh bench-install -n
100000``), which creates a throwaway database with ``account`` installed and
drops it at the end. The script:

1. posts a few hundred customer invoices through the ORM, due from 60 days
   ago to 60 days ahead, then copies them in SQL until there are ``-n`` open
   invoices (an ORM creation of 100,000 invoices would take the better part
   of an hour and measure nothing of this module);
2. installs collection_ruler with Odoo's own command line, as the Apps menu
   does, and times it;
3. calls the scheduled action as the cron does, with the cron's own time
   budget (half of ``limit_time_real``), until the backfill has given every
   open invoice its ruler and schedule, and times each call.
"""

import argparse
import subprocess
import sys
import time
from datetime import timedelta

from bench_data import FAST_CONTEXT, company_today
from bench_db import environment

import odoo
from odoo import Command
from odoo.modules.registry import Registry
from odoo.tools import SQL, split_every

TEMPLATE_INVOICES = 600
PARTNERS = 300
DUE_SPREAD = 60  # days either side of today


def _columns(env, table, skip):
    env.cr.execute(
        SQL(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = %s ORDER BY ordinal_position",
            table,
        )
    )
    return [name for (name,) in env.cr.fetchall() if name not in skip]


def create_templates(env, log):
    """Post the invoices that the SQL copies repeat; return their ids."""
    country = env.ref("base.br")
    partners = env["res.partner"].create(
        [
            {
                "name": f"Cliente {i:04d} Ltda",
                "is_company": True,
                "email": f"cliente{i:04d}@example.com",
                "country_id": country.id,
            }
            for i in range(PARTNERS)
        ]
    )
    today = company_today(env)
    Move = env["account.move"].with_context(**FAST_CONTEXT)
    ids = []
    for chunk in split_every(200, range(TEMPLATE_INVOICES)):
        moves = Move.create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partners[n % PARTNERS].id,
                    "invoice_date": today - timedelta(days=90),
                    "invoice_date_due": today
                    + timedelta(days=n % (2 * DUE_SPREAD + 1) - DUE_SPREAD),
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Servicos de manutencao",
                                "quantity": 1,
                                "price_unit": 150.0 + (n * 37) % 4850,
                            }
                        )
                    ],
                }
                for n in chunk
            ]
        )
        moves.action_post()
        ids += moves.ids
        env.cr.commit()
    log(f"  {len(ids)} invoices posted through the ORM")
    return ids


def copy_invoices(env, template_ids, size, log):
    """Copy the template invoices and their lines in SQL up to ``size``."""
    move_cols = _columns(env, "account_move", {"id", "name"})
    line_cols = _columns(env, "account_move_line", {"id", "move_id", "move_name"})
    started = time.perf_counter()
    total, copy = len(template_ids), 0
    while total < size:
        copy += 1
        ids = template_ids[: size - total]
        # One statement per copy: new ids are drawn with the source ids, so
        # that the lines follow their own invoice.
        env.cr.execute(
            SQL(
                """
                WITH src AS (
                    SELECT id AS src_id, nextval('account_move_id_seq') AS new_id
                      FROM account_move WHERE id = ANY(%(ids)s)
                ), moves AS (
                    INSERT INTO account_move (id, name, %(move_cols)s)
                    SELECT src.new_id, m.name || %(suffix)s, %(m_cols)s
                      FROM src JOIN account_move m ON m.id = src.src_id
                    RETURNING id, name
                )
                INSERT INTO account_move_line (move_id, move_name, %(line_cols)s)
                SELECT moves.id, moves.name, %(l_cols)s
                  FROM src
                  JOIN moves ON moves.id = src.new_id
                  JOIN account_move_line l ON l.move_id = src.src_id
                """,
                ids=ids,
                suffix=f"/C{copy}",
                move_cols=SQL(", ").join(map(SQL.identifier, move_cols)),
                m_cols=SQL(", ").join(SQL.identifier("m", c) for c in move_cols),
                line_cols=SQL(", ").join(map(SQL.identifier, line_cols)),
                l_cols=SQL(", ").join(SQL.identifier("l", c) for c in line_cols),
            )
        )
        total += len(ids)
        env.cr.commit()
        if copy % 20 == 0 or total >= size:
            log(f"  {total} invoices ({time.perf_counter() - started:.0f} s)")
    env.cr.execute("ANALYZE account_move")
    env.cr.execute("ANALYZE account_move_line")
    env.cr.commit()


def open_invoices(env):
    return env["account.move"].search_count(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "=", "not_paid"),
        ]
    )


def install(args, log):
    command = [sys.executable, "-m", "odoo", "-c", args.config, "-d", args.database]
    command += ["-i", "collection_ruler", "--stop-after-init", "--log-level=warn"]
    started = time.perf_counter()
    subprocess.run(command, check=True)
    # This process's registry predates the install.
    Registry.delete(args.database)
    seconds = time.perf_counter() - started
    log(f"  install of collection_ruler: {seconds:.1f} s")
    return seconds


def backfill(args, log):
    """Backfill as the scheduled action does, one cron call after another,
    each within the cron's time budget, until every open invoice has its
    ruler and schedule; then time one full scheduled run, which sends what
    is due today. :return: the backfill calls' seconds, the run's seconds,
    the events and the invoices that follow a ruler
    """
    calls = []
    for _call in range(args.max_calls):
        with environment(args.database) as env:
            run = env["collection.ruler.run"].sudo()._start("cron")
            budget = run.time_budget
            started = time.perf_counter()
            done = env["collection.ruler.backfill"]._run(
                run, time.monotonic() + budget if budget else None
            )
            env.cr.commit()
            calls.append(time.perf_counter() - started)
            log(
                f"  backfill call {len(calls)}: {calls[-1]:.1f} s, "
                f"budget {budget:.0f} s"
            )
            if done is not None:
                break
    else:
        raise RuntimeError(f"backfill still pending after {args.max_calls} calls")
    with environment(args.database) as env:
        started = time.perf_counter()
        env["collection.ruler.run"]._cron_run()
        env.cr.commit()
        run_seconds = time.perf_counter() - started
        log(f"  the day's run after it: {run_seconds:.1f} s")
        events = env["collection.ruler.event"].search_count([])
        followed = env["account.move"].search_count(
            [("collection_ruler_id", "!=", False), ("state", "=", "posted")]
        )
    return calls, run_seconds, events, followed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True, help="with account")
    parser.add_argument("-n", "--invoices", type=int, default=100_000)
    parser.add_argument("--max-calls", type=int, default=50)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])

    def log(message):
        print(message, flush=True)

    started = time.perf_counter()
    with environment(args.database) as env:
        template_ids = create_templates(env, log)
        copy_invoices(env, template_ids, args.invoices, log)
        count = open_invoices(env)
    built = time.perf_counter() - started
    log(f"{count} open invoices built in {built:.0f} s")
    seconds = install(args, log)
    calls, run_seconds, events, followed = backfill(args, log)
    spent = sum(calls)
    print(
        f"\n| Open invoices | Install | Backfill (cron calls) | Per invoice "
        f"| The day's run after it |\n|---:|---:|---:|---:|---:|\n"
        f"| {count:,} | {seconds:.0f} s | {spent:.0f} s ({len(calls)}) "
        f"| {1000 * spent / max(followed, 1):.2f} ms | {run_seconds:.0f} s |\n\n"
        f"{followed:,} invoices follow a ruler; {events:,} events scheduled."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
