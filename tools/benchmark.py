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

The measures themselves are in ``bench_measures.py``.
"""

import argparse
import os
import shlex
import signal
import sys
import time
import traceback
from shutil import which

# tools/ is the script's directory, first on sys.path.
from bench_data import DataSet, company_today
from bench_db import Databases, environment
from bench_measures import (
    DEFAULT_DUE,
    configure,
    guards_off,
    guards_on,
    measure_backfill,
    measure_floor,
    measure_idle,
    measure_preview,
    measure_run,
)
from bench_report import Row, markdown, print_row

import odoo


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
                batch_size = configure(env, args.batch_size)
                print(f"  benchmark day: {company_today(env)}", flush=True)
                data.build(env, size, print)
                guards_off(env)
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
                        guards_on(env, data)
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
