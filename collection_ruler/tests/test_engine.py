"""The engine's contract: runs, channels, retries, concurrency and outcomes."""

from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from odoo_test_helper import FakeModelLoader

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import SQL

from .common import DUE_DATE, CollectionRulerCommon, day
from .test_migration import load_migration


@tagged("post_install", "-at_install")
class TestCollectionEngine(CollectionRulerCommon):
    def test_run_record_counts_per_channel(self):
        self._create_invoice()
        self._create_invoice(partner=self.customer_2)
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        run = self.env["collection.ruler.run"].search([], limit=1)
        self.assertEqual((counters["due"], counters["done"]), (4, 2))
        self.assertEqual(counters["skipped"], 2, "the D-3 reminders were stale")
        self.assertEqual(run.trigger, "cron")
        self.assertEqual(run.state, "done")
        line = run.line_ids
        self.assertEqual(line.channel, "email")
        self.assertEqual((line.due_count, line.done_count), (4, 2))

    def test_run_name_in_the_time_zone_of_the_user(self):
        self.env.user.tz = "America/Sao_Paulo"
        with self.mock_mail_gateway():
            self._run(day(0))  # noon UTC
        run = self.env["collection.ruler.run"].search([], limit=1)
        self.assertEqual(run.name, f"Run {run.number} of Mar 10, 2026, 9:00:00\u202fAM")

    def test_an_upgrade_numbers_the_existing_runs_by_their_id(self):
        """Runs made before runs had a number keep their id as one; the
        sequence goes on after the highest."""
        Run = self.env["collection.ruler.run"].sudo()
        self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))
        run = Run.search([], limit=1)
        sequence = self.env.ref("collection_ruler.ir_sequence_collection_ruler_run")
        # As before the upgrade: no number, and a sequence never used.
        self.env.flush_all()
        self.env.cr.execute("UPDATE collection_ruler_run SET number = NULL")
        sequence.number_next = 1
        self.env.invalidate_all()
        load_migration("18.0.1.6.0")(self.env.cr, "18.0.1.5.0")
        self.env.invalidate_all()
        self.assertEqual(run.number, str(run.id))
        self.assertTrue(run.name.startswith(f"Run {run.id} of "))
        highest = Run.search([], order="id desc", limit=1).id
        with freeze_time(day(1)):
            self.assertEqual(Run._start("manual").number, str(highest + 1))

    def test_archived_customer_fails_with_the_reason(self):
        move = self._create_invoice()
        self.customer.active = False
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        event = self._events(move)[self.step_due]
        self.assertEqual((counters["done"], counters["failed"]), (0, 1))
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.failure_reason, "Padaria Pão Quente is archived.")
        self.assertEqual(event.amount_residual, 1000.0, "what was due when it ran")
        self.assertFalse(self._new_mails)

    def test_blacklisted_customer_fails_with_the_reason(self):
        move = self._create_invoice()
        self.env["mail.blacklist"]._add(self.customer.email)
        with self.mock_mail_gateway():
            self._run(day(0))
        event = self._events(move)[self.step_due]
        self.assertEqual(event.state, "failed")
        self.assertRegex(event.failure_reason, "email blacklist")

    def test_failed_event_retried_from_the_button(self):
        no_email = self.env["res.partner"].create({"name": "No Email Ltda"})
        move = self._create_invoice(partner=no_email)
        with self.mock_mail_gateway():
            self._run(day(0))
        event = self._events(move)[self.step_due]
        self.assertEqual(event.state, "failed")
        with self.assertRaisesRegex(UserError, "Only failed events"):
            self._events(move)[self.step_call].action_retry()
        no_email.email = "finance@noemail.example.com"
        with freeze_time(day(1)):
            event.action_retry()
        self.assertEqual(
            (event.state, event.scheduled_date), ("scheduled", day(1).date())
        )
        with self.mock_mail_gateway():
            self._run(day(1))
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self._mails_to(no_email)), 1)

    def test_due_date_moved_on_the_receivable_line(self):
        move = self._create_invoice()
        line = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
        line.date_maturity = DUE_DATE + timedelta(days=10)
        event = self._events(move)[self.step_due]
        self.assertEqual(event.scheduled_date, DUE_DATE + timedelta(days=10))
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 0, "nothing is due on the old date")

    def test_uncollectable_invoice_without_the_hooks_is_not_dunned(self):
        move = self._create_invoice()
        self.env.flush_all()
        self.env.cr.execute(
            SQL("UPDATE account_move SET payment_state = 'paid' WHERE id = %s", move.id)
        )
        move.invalidate_recordset(["payment_state"])
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 0)
        self.assertEqual(counters["cancelled"], 2)
        self.assertEqual(self._events(move)[self.step_due].state, "cancelled")
        self.assertFalse(self._new_mails)

    def test_a_real_credit_note_ends_the_debt(self):
        move = self._create_invoice()
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": DUE_DATE})
        )
        # "Full refund and new draft invoice": the credit note is posted and
        # reconciled with the invoice.
        reversal.modify_moves()
        self.assertEqual(move.payment_state, "reversed")
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 0)
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"cancelled"})
        self.assertFalse(self._new_mails)

    def test_a_cancelled_invoice_is_not_dunned(self):
        move = self._create_invoice()
        move.button_draft()
        move.button_cancel()
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 0)
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"cancelled"})
        self.assertFalse(self._new_mails)

    def test_clearing_the_currency_on_an_invoice_form(self):
        move = self._create_invoice(post=False)
        with Form(move) as form:
            form.currency_id = self.env["res.currency"]
            self.assertEqual(form.collection_amount_updated, 0.0)
            form.currency_id = self.company.currency_id

    def test_companies_in_different_time_zones_in_one_run(self):
        company_b = self.setup_other_company(name="Tokyo Branch")["company"]
        company_b.partner_id.tz = "Asia/Tokyo"
        company_b.collection_ruler_id = self.ruler
        self.company.partner_id.tz = "America/Sao_Paulo"
        move_a = self._create_invoice()
        move_b = self._create_invoice(company=company_b)
        # 20:00 UTC on D-1: already D0 in Tokyo, still D-1 in São Paulo.
        with self.mock_mail_gateway():
            self._run(day(-1).replace(hour=20))
        self.assertEqual(self._events(move_b)[self.step_due].state, "done")
        self.assertEqual(self._events(move_a)[self.step_due].state, "scheduled")

    def test_due_events_found_through_the_partial_index(self):
        self.env.cr.execute("SET LOCAL enable_seqscan = off")
        # The plain index on the state costs the same on a small table: the
        # planner may take either. Without it, only the partial one serves.
        self.env.cr.execute("DROP INDEX collection_ruler_event__state_index")
        self.env.cr.execute(
            "EXPLAIN SELECT move_id FROM collection_ruler_event"
            " WHERE state = 'scheduled' AND scheduled_date <= '2026-03-10'"
        )
        plan = "\n".join(row[0] for row in self.env.cr.fetchall())
        self.assertIn("collection_ruler_event_scheduled_index", plan)

    def test_budget_cut_leaves_every_event_of_the_invoice_scheduled(self):
        """A letter batch cut by the budget leaves the rest of it untouched."""
        self.company.write({"vat": "11.222.333/0001-81", "street": "Rua A, 1"})
        # A debit notice names its debtor by CPF or CNPJ (test_letter_step.py).
        self.customer.vat = "529.982.247-25"
        self.customer_2.vat = "04.252.011/0001-10"
        debit = self.env.ref("collection_ruler.collection_ruler_step_debit_notice")
        # Day 5 is a Sunday: contact hours have tests of their own.
        self.env["collection.contact.window"].search([]).active = False
        first = self._create_invoice()
        second = self._create_invoice(partner=self.customer_2)
        Run = type(self.env["collection.ruler.run"])
        with (
            self.mock_mail_gateway(),
            patch.object(Run, "_get_time_budget", return_value=-1),
        ):
            counters = self._run(day(5))
        self.assertEqual(counters["done"], 1)
        self.assertEqual(self._events(first)[debit].state, "done")
        self.assertEqual(
            set(self._events(second).values()).__len__(), 9, "nine steps planned"
        )
        due = [
            e
            for e in self._events(second).values()
            if e.scheduled_date <= day(5).date()
        ]
        self.assertEqual({e.state for e in due}, {"scheduled"}, "nothing skipped")


@tagged("post_install", "-at_install")
class TestCollectionFakeChannel(CollectionRulerCommon):
    """A channel added through the contract alone runs through the cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.loader = FakeModelLoader(cls.env, cls.__module__)
        cls.loader.backup_registry()
        from .fake_channel import CollectionChannelFake, CollectionRulerStep

        cls.loader.update_registry((CollectionRulerStep, CollectionChannelFake))
        # Contacts on close days: the contact cap has tests of its own.
        cls.ruler.write({"contact_cap_day": 0, "contact_cap_week": 0})
        cls.fake_step = cls.env["collection.ruler.step"].create(
            {
                "ruler_id": cls.ruler.id,
                "name": "Fake contact",
                "offset_days": 1,
                "channel": "fake",
            }
        )

    @classmethod
    def tearDownClass(cls):
        cls.loader.restore_registry()
        super().tearDownClass()

    def _partner(self, name):
        return self.env["res.partner"].create({"name": name, "email": "x@example.com"})

    def test_fake_channel_runs_in_one_batch_through_the_cron(self):
        fake = type(self.env["collection.channel.fake"])
        fake.batches.clear()
        good = self._create_invoice()
        other = self._create_invoice(partner=self.customer_2)
        unreachable = self._create_invoice(partner=self._partner("Unreachable"))
        with self.mock_mail_gateway():
            self._run(day(0))
            counters = self._run(day(1))
        self.assertEqual(len(fake.batches), 1, "one call for the whole batch")
        self.assertEqual(counters["done"], 2)
        self.assertEqual(counters["failed"], 1)
        self.assertEqual(self._events(good)[self.fake_step].state, "done")
        self.assertEqual(self._events(other)[self.fake_step].sms_number, "fake")
        failed = self._events(unreachable)[self.fake_step]
        self.assertEqual(
            (failed.state, failed.failure_reason), ("failed", "no fake address")
        )
        self.assertTrue(
            good.message_ids.filtered(lambda m: "Fake contact made." in m.body)
        )
        run = self.env["collection.ruler.run"].search([], limit=1)
        self.assertEqual(run.line_ids.channel, "fake")

    def test_never_skipped_trait_comes_from_the_channel(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(3))
        events = self._events(move)
        self.assertEqual(events[self.fake_step].state, "done", "never skipped")
        self.assertEqual(events[self.step_call].state, "done")
        self.assertEqual(events[self.step_due].state, "skipped")

    def test_transient_failure_is_retried_later_then_gives_up(self):
        move = self._create_invoice(partner=self._partner("Flaky"))
        with self.mock_mail_gateway():
            self._run(day(0))
            counters = self._run(day(1))
        event = self._events(move)[self.fake_step]
        self.assertEqual(counters["retried"], 1)
        self.assertEqual((event.state, event.retry_count), ("scheduled", 1))
        self.assertEqual(event.scheduled_date, day(2).date())
        self.assertIn("timed out", event.failure_reason)
        delays = []
        with self.mock_mail_gateway():
            for _attempt in range(4):
                when = datetime.combine(event.scheduled_date, day(0).time())
                delays.append((event.scheduled_date - day(1).date()).days)
                self._run(when)
        self.assertEqual(delays, [1, 3, 7, 15], "1, 2, 4 and 8 days apart")
        self.assertEqual(event.state, "failed")
        self.assertIn("gave up after 5 attempts", event.failure_reason)
