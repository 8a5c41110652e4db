"""Two workers on the same due events, each with a real database cursor.

A test transaction is invisible to other cursors, so the fixtures here are
committed, and removed again after each test. The workers run in one thread,
one inside the other at the moment that matters, so the interleaving is the
same every time; a lock one of them would wait for fails after a few seconds
instead of hanging. Batches really commit, as in production.
"""

from contextlib import ExitStack, contextmanager
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import errors

from odoo import SUPERUSER_ID, Command, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from ..models import collection_ruler_run
from .common import DUE_DATE, day

INVOICES = 4


@tagged("post_install", "-at_install")
class TestTwoWorkers(TransactionCase):
    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            self.last_run_id = env["collection.ruler.run"].search([], limit=1).id or 0
            ruler = env["collection.ruler"].create(
                {
                    "name": "Two workers",
                    "step_ids": [
                        Command.create(
                            {"name": "Due", "offset_days": 0, "channel": "email"}
                        )
                    ],
                }
            )
            partners = env["res.partner"].create(
                [
                    {"name": f"Worker test {i}", "email": f"worker{i}@example.com"}
                    for i in range(INVOICES)
                ]
            )
            moves = env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "invoice_date": DUE_DATE - timedelta(days=30),
                        "invoice_date_due": DUE_DATE,
                        "collection_ruler_id": ruler.id,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Supply", "price_unit": 100, "tax_ids": []}
                            )
                        ],
                    }
                    for partner in partners
                ]
            )
            moves.action_post()
            self.ruler, self.moves, self.partners = ruler.id, moves.ids, partners.ids
        self.addCleanup(self._remove_fixtures)
        self.envs = []
        for _worker in range(2):
            cr = self.registry.cursor()
            self.addCleanup(cr.close)
            # A lock that the other worker holds fails the test, not hangs it.
            cr.execute("SET lock_timeout = '5s'")
            self.envs.append(api.Environment(cr, SUPERUSER_ID, {}))

    def _remove_fixtures(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            moves = env["account.move"].browse(self.moves)
            env["mail.mail"].search(
                [("model", "=", "account.move"), ("res_id", "in", moves.ids)]
            ).unlink()
            # The evidence is append-only: only a test's own fixtures, with
            # the table's trigger off, may go.
            cr.execute(
                "ALTER TABLE collection_evidence DISABLE TRIGGER "
                "collection_evidence_append_only"
            )
            cr.execute(
                "DELETE FROM collection_evidence WHERE move_id = ANY(%s)", [moves.ids]
            )
            cr.execute(
                "ALTER TABLE collection_evidence ENABLE TRIGGER "
                "collection_evidence_append_only"
            )
            moves.button_draft()
            moves.with_context(force_delete=True).unlink()
            env["collection.ruler.run"].search([("id", ">", self.last_run_id)]).unlink()
            env["collection.ruler"].browse(self.ruler).unlink()
            env["res.partner"].browse(self.partners).unlink()

    def _remove_conflict_row(self):
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM ir_config_parameter"
                " WHERE key = 'collection_ruler.test_conflict'"
            )

    @contextmanager
    def _workers(self):
        """One invoice a batch, and the commits of production."""
        Run = type(self.envs[0]["collection.ruler.run"])
        with ExitStack() as stack:
            stack.enter_context(freeze_time(day(0)))
            stack.enter_context(patch.object(Run, "_get_batch_size", lambda self: 1))
            stack.enter_context(
                patch.object(collection_ruler_run, "testing", lambda: False)
            )
            yield

    def _outputs(self):
        """{invoice id: (its events' states, its queued mails)}, committed."""
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT e.move_id, array_agg(e.state),"
                "       (SELECT count(*) FROM mail_mail m JOIN mail_message msg"
                "          ON msg.id = m.mail_message_id"
                "         WHERE msg.model = 'account.move' AND msg.res_id = e.move_id)"
                "  FROM collection_ruler_event e WHERE e.move_id IN %s"
                " GROUP BY e.move_id",
                [tuple(self.moves)],
            )
            return {
                move_id: (states, mails) for move_id, states, mails in cr.fetchall()
            }

    @staticmethod
    def _cron(env):
        """The scheduled action, then the commit that ``ir.cron`` makes."""
        env["collection.ruler.run"]._cron_run()
        env.cr.commit()

    def _run_now(self, env):
        """Run Now, then the commit that the HTTP request makes."""
        env["collection.ruler"].browse(self.ruler).action_run_now()
        env.cr.commit()

    def _runs(self, env):
        return env["collection.ruler.run"].search(
            [("id", ">", self.last_run_id)], order="id"
        )

    def _run_inside_first_batch(self, first, second):
        """Start ``first``; while it holds its first invoice, run ``second``.

        :param first: callable of an environment, run on the first cursor
        :param second: callable of an environment, run on the second cursor
        """
        env_a, env_b = self.envs
        Run = type(env_a["collection.ruler.run"])
        original = Run._process_batch
        inside = []

        def process_batch(run, events, todays, deadline):
            if run.env.cr is env_a.cr and not inside:
                inside.append(events.move_id.ids)
                second(env_b)
            return original(run, events, todays, deadline)

        with self._workers(), patch.object(Run, "_process_batch", process_batch):
            first(env_a)
        self.assertEqual(inside, [self.moves[:1]], "the first worker held one invoice")

    def _assert_each_invoice_dunned_once(self):
        self.assertEqual(
            self._outputs(),
            {move_id: (["done"], 1) for move_id in self.moves},
            "every invoice got one email, and its event is done",
        )

    def test_two_cron_workers_share_the_due_events(self):
        self._run_inside_first_batch(self._cron, self._cron)
        self._assert_each_invoice_dunned_once()
        run_a, run_b = self._runs(self.envs[0])
        self.assertEqual(
            (run_a.state, run_a.done_count, run_a.failed_count), ("done", 1, 0)
        )
        self.assertEqual(
            (run_b.state, run_b.done_count, run_b.failed_count),
            ("done", INVOICES - 1, 0),
            "the second worker skipped the locked invoice and did the others",
        )

    def test_run_now_overlapping_the_cron(self):
        self._run_inside_first_batch(self._cron, self._run_now)
        self._assert_each_invoice_dunned_once()
        cron_run, manual_run = self._runs(self.envs[0])
        self.assertEqual((cron_run.trigger, cron_run.done_count), ("cron", 1))
        self.assertEqual(
            (manual_run.trigger, manual_run.done_count), ("manual", INVOICES - 1)
        )

    def test_events_run_after_the_snapshot_are_selected_again(self):
        """The second worker's snapshot predates the first one's commits.

        PostgreSQL refuses to lock a row changed after the snapshot of a
        repeatable-read transaction; the worker starts its selection again
        instead of failing.
        """
        env_a, env_b = self.envs
        Run = type(env_b["collection.ruler.run"])
        original = Run._select_batch
        cron_a, attempts = [], []

        def select_batch(run, companies, limit, after_partner_id, todays, attempt=1):
            if run.env.cr is env_b.cr:
                attempts.append(attempt)
                if not cron_a:
                    # Take the snapshot, then let the other worker run it all.
                    run.env.cr.execute("SELECT 1 FROM collection_ruler_event LIMIT 1")
                    cron_a.append(self._cron(env_a))
            return original(run, companies, limit, after_partner_id, todays, attempt)

        with self._workers(), patch.object(Run, "_select_batch", select_batch):
            self._cron(env_b)
        self.assertEqual(attempts, [1, 2], "refused once, then selected again")
        self._assert_each_invoice_dunned_once()
        run_b, run_a = self._runs(env_a)  # the second worker started first
        self.assertEqual(run_a.done_count, INVOICES)
        self.assertEqual(
            (run_b.state, run_b.due_count, run_b.failed_count), ("done", 0, 0)
        )

    @mute_logger("odoo.sql_db")  # the refused UPDATE, logged as a bad query
    def test_a_concurrency_error_is_raised_not_written_on_the_event(self):
        """A real serialization failure inside a channel, as Odoo retries it."""
        env_a, env_b = self.envs
        Channel = type(env_a["collection.channel.email"])

        # A row that nothing else of the run touches: the error can only come
        # from the channel, and must reach Odoo from there.
        with self.registry.cursor() as cr:
            cr.execute(
                "INSERT INTO ir_config_parameter (key, value)"
                " VALUES ('collection_ruler.test_conflict', '0')"
            )
        self.addCleanup(self._remove_conflict_row)

        def conflict(channel, events, deadline=None):
            # The other worker changes the row after this snapshot...
            update = "UPDATE ir_config_parameter SET value = %s WHERE key = %s"
            env_b.cr.execute(update, ["B", "collection_ruler.test_conflict"])
            env_b.cr.commit()
            # ... so that PostgreSQL refuses this worker's change of it.
            channel.env.cr.execute(update, ["A", "collection_ruler.test_conflict"])

        with (
            self._workers(),
            patch.object(Channel, "_execute_batch", conflict),
            self.assertRaises(errors.SerializationFailure),
        ):
            self._cron(env_a)
        env_a.cr.rollback()
        self.assertEqual(
            self._outputs(),
            {move_id: (["scheduled"], 0) for move_id in self.moves},
            "the events wait for Odoo to run the cron again",
        )
        with self.registry.cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM collection_ruler_event"
                " WHERE move_id IN %s AND failure_reason IS NOT NULL",
                [tuple(self.moves)],
            )
            self.assertEqual(cr.fetchone()[0], 0, "no failure written")
        (run,) = self._runs(env_a)
        self.assertEqual(run.state, "failed", "the run says it was interrupted")
