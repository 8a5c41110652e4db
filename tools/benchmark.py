"""Measure the collection run on a database with collection_ruler installed.

Run it through ``make bench``, which creates a throwaway database for it. It
creates ``n`` posted customer invoices due today (plus ``n`` not yet due) per
channel, runs the due steps of the email channel, then of the call channel,
then of a letter step (a debit notice rendered as a real PDF by wkhtmltopdf
and emailed, on ``--letters`` invoices), and prints the time and the SQL
queries per event, then the cost of a run with nothing due. The run commits
between batches, as in production.
"""

import argparse
import time
from datetime import date, timedelta

import odoo
from odoo import Command, api


def _create_invoices(env, partner, count, due):
    moves = env["account.move"].create(
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner.id,
                "invoice_date": due - timedelta(days=30),
                "invoice_date_due": due,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Benchmark", "quantity": 1, "price_unit": 100.0}
                    )
                ],
            }
            for _i in range(count)
        ]
    )
    moves.action_post()
    return moves


def _measure(env, ruler):
    env.flush_all()
    env.invalidate_all()
    queries = env.cr.sql_log_count
    started = time.perf_counter()
    counters = env["collection.ruler.event"]._run_due_events(rulers=ruler)
    env.flush_all()
    return counters, time.perf_counter() - started, env.cr.sql_log_count - queries


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-n", "--invoices", type=int, default=500)
    parser.add_argument("-l", "--letters", type=int, default=50)
    args = parser.parse_args()
    # No cron time limit here: the run must not stop halfway and leave the
    # rest to a later cron call (see ``_get_time_budget``), which would mix
    # one channel's work into the next measure.
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
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, odoo.SUPERUSER_ID, {})
        today = date.today()
        company = env.company
        template = env.ref("collection_ruler.mail_template_collection_due_today")
        letter_template = env.ref("collection_ruler.mail_template_collection_letter")
        partner = env["res.partner"].create(
            {"name": "Benchmark customer", "email": "bench@example.com"}
        )
        rulers = {}
        counts = {"email": args.invoices, "call": args.invoices, "letter": args.letters}
        # Letters claim overdue invoices and print the creditor's CNPJ and
        # address: their step runs one day late, for a company that has both.
        company.write(
            {
                "vat": company.vat or "11.222.333/0001-81",
                "street": company.street or "Avenida Paulista, 1000",
            }
        )
        offsets = {"email": 0, "call": 0, "letter": 1}
        for channel in counts:
            step = {"name": channel, "channel": channel}
            step["offset_days"] = offsets[channel]
            if channel == "email":
                step["mail_template_id"] = template.id
            if channel == "letter":
                step.update(
                    letter_type="debit_notice", mail_template_id=letter_template.id
                )
            rulers[channel] = env["collection.ruler"].create(
                {"name": f"Benchmark {channel}", "step_ids": [Command.create(step)]}
            )
        print(f"company {company.name}, invoices due per channel: {counts}")
        for channel, ruler in rulers.items():
            company.collection_ruler_id = ruler
            count = counts[channel]
            started = time.perf_counter()
            due = today - timedelta(days=offsets[channel])
            _create_invoices(env, partner, count, due)
            _create_invoices(env, partner, count, today + timedelta(days=30))
            setup = time.perf_counter() - started
            counters, seconds, queries = _measure(env, ruler)
            if counters["failed"]:
                failed = env["collection.ruler.event"].search(
                    [("ruler_id", "=", ruler.id), ("state", "=", "failed")], limit=1
                )
                reason = failed.failure_reason
                print(f"{channel}: {counters['failed']} failed: {reason}")
            done = counters["done"] or 1
            print(
                f"{channel:>6}: {counters['done']} sent in {seconds:.2f} s "
                f"({1000 * seconds / done:.1f} ms and {queries / done:.1f} queries "
                f"per event); posting {2 * count} invoices took {setup:.1f} s"
            )
        idle_started = time.perf_counter()
        queries = cr.sql_log_count
        env["collection.ruler.event"]._run_due_events()
        open_count = 2 * sum(counts.values())
        print(
            f"  idle: a run with nothing due over {open_count} open invoices: "
            f"{1000 * (time.perf_counter() - idle_started):.1f} ms, "
            f"{cr.sql_log_count - queries} queries"
        )


if __name__ == "__main__":
    main()
