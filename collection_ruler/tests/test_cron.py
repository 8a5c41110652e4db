import importlib.util
from datetime import datetime, time, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.modules.module import get_module_path
from odoo.tests import tagged
from odoo.tools import config, mute_logger

from ..models.collection_ruler_backfill import PENDING_PARAM as BACKFILL_PENDING
from .common import DUE_DATE, CollectionRulerCommon, CollectionRulerHttpCommon, day

EVENT_LOGGER = "odoo.addons.collection_ruler.models.collection_ruler_event"
RUN_LOGGER = "odoo.addons.collection_ruler.models.collection_ruler_run"


@tagged("post_install", "-at_install")
class TestCollectionCron(CollectionRulerCommon):
    def test_emails_before_and_on_due_date(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            counters = self._run(day(-4))
        self.assertEqual(counters["done"], 0)
        self.assertFalse(self._mails_to(self.customer))

        with self.mock_mail_gateway():
            counters = self._run(day(-3))
        self.assertEqual(counters["done"], 1)
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(f"invoice {move.name} is due on", mail.subject)
        self.assertIn("1,000.00", mail.body_html)
        self.assertIn(move.get_portal_url(), mail.body_html, "carries the pay link")
        self.assertEqual(mail.state, "outgoing", "queued, never sent inside the run")
        event = self._events(move)[self.step_before]
        self.assertEqual(event.state, "done")
        self.assertEqual(event.executed_at, day(-3))
        self.assertEqual(event.message_id, mail.mail_message_id)
        self.assertEqual(event.amount_residual, 1000.0)
        self.assertIn(event.message_id, move.message_ids, "posted in the chatter")

        with self.mock_mail_gateway():
            self._run(day(-2))
        self.assertFalse(self._mails_to(self.customer))

        with self.mock_mail_gateway():
            self._run(day(0))
        self.assertMailMail(
            self.customer,
            "outgoing",
            content="is due today",
            fields_values={
                "subject": f"{self.company.name}: invoice {move.name} is due today"
            },
        )
        self.assertEqual(move.collection_next_date, DUE_DATE + timedelta(days=3))

    def test_call_activity(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))
            self._run(day(3))
        event = self._events(move)[self.step_call]
        self.assertEqual(event.state, "done")
        activity = event.activity_id
        self.assertEqual(activity.res_id, move.id)
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertEqual(
            activity.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(activity.date_deadline, DUE_DATE + timedelta(days=3))
        self.assertIn("person in charge of payments", str(activity.note))
        self.assertIn("call scheduled for Carla Collector", move.message_ids[0].body)
        # An explicit responsible wins over the salesperson.
        self.step_call.activity_user_id = self.env.user
        other = self._create_invoice(due=DUE_DATE + timedelta(days=1))
        with self.mock_mail_gateway():
            self._run(day(4))
        self.assertEqual(
            self._events(other)[self.step_call].activity_id.user_id, self.env.user
        )

    def test_payment_cancels_the_rest(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))
        self._pay(move, 1000.0, DUE_DATE + timedelta(days=1))
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        # The payment itself stops the ruler, before any run.
        events = self._events(move)
        self.assertEqual(events[self.step_due].state, "done")
        self.assertEqual(events[self.step_call].state, "cancelled")
        self.assertEqual(events[self.step_sms].state, "cancelled")
        self.assertEqual(events[self.step_call].failure_reason, "The invoice is paid.")
        with self.mock_mail_gateway():
            counters = self._run(day(3))
        self.assertEqual(counters, dict.fromkeys(counters, 0))
        self.assertFalse(move.activity_ids)
        with self.mock_mail_gateway():
            self._run(day(7))
        self.assertFalse(self._new_mails)

    def test_partial_payment_quotes_amount_due(self):
        move = self._create_invoice()
        self._pay(move, 400.0, DUE_DATE - timedelta(days=1))
        self.assertEqual(move.payment_state, "partial")
        with self.mock_mail_gateway():
            self._run(day(0))
        mail = self._mails_to(self.customer)
        self.assertIn("partial payment", mail.body_html)
        self.assertIn("600.00", mail.body_html)
        self.assertNotIn("1,000.00", mail.body_html)
        self.assertEqual(self._events(move)[self.step_due].amount_residual, 600.0)

    def test_run_twice_same_day_sends_nothing_new(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            first = self._run(day(0))
            second = self._run(day(0).replace(hour=18))
        self.assertEqual(first["done"], 1)
        self.assertEqual(second, dict.fromkeys(second, 0))
        self.assertEqual(len(self._mails_to(self.customer)), 1)
        self.assertEqual(self._events(move)[self.step_due].state, "done")

    def test_catch_up_after_missed_days(self):
        """A cron down for a week sends the latest step only."""
        move = self._create_invoice()
        with self.mock_mail_gateway():
            counters = self._run(day(4))
        events = self._events(move)
        self.assertEqual(
            counters,
            {
                "due": 3,
                "done": 1,
                "failed": 0,
                "fell_back": 0,
                "deferred": 0,
                "skipped": 2,
                "cancelled": 0,
                "retried": 0,
            },
        )
        self.assertEqual(events[self.step_before].state, "skipped")
        self.assertEqual(events[self.step_due].state, "skipped")
        skip_notes = move.message_ids.filtered(
            lambda m: "missed steps skipped" in m.body
        )
        self.assertEqual(len(skip_notes), 1)
        self.assertIn("Reminder on the due date", skip_notes.body)
        self.assertEqual(events[self.step_call].state, "done")
        self.assertEqual(events[self.step_sms].state, "scheduled")
        self.assertFalse(self._mails_to(self.customer), "no burst of stale emails")

    def test_broken_template_fails_one_event(self):
        broken = self.step_due.mail_template_id.copy(
            {"body_html": '<p><t t-out="object.no_such_field"/></p>'}
        )
        ruler = self.ruler.copy({"name": "Broken"})
        ruler.step_ids.filtered(lambda s: s.offset_days == 0).mail_template_id = broken
        bad = self._create_invoice(collection_ruler_id=ruler.id)
        good = self._create_invoice(partner=self.customer_2)
        with (
            self.mock_mail_gateway(),
            mute_logger(EVENT_LOGGER, "odoo.addons.mail.models.mail_render_mixin"),
        ):
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 1)
        self.assertEqual(counters["failed"], 1)
        bad_event = bad.collection_event_ids.filtered(
            lambda e: e.step_id.offset_days == 0
        )
        self.assertEqual(bad_event.state, "failed")
        reason = bad_event.failure_reason
        self.assertRegex(
            reason,
            r"^The email template .+ of step Reminder on the due date could not be "
            r"rendered: \w+Error: .*no_such_field",
        )
        self.assertLessEqual(len(reason), 300)
        for leak in ("\n", "Traceback", "<", "&lt;", "/odoo/", ".py"):
            self.assertNotIn(leak, reason)
        notes = bad.message_ids.filtered(lambda m: "could not be rendered" in m.body)
        self.assertEqual(len(notes), 1, "one note in the chatter")
        self.assertNotIn("Traceback", notes.body)
        self.assertFalse(self._mails_to(self.customer))
        self.assertEqual(len(self._mails_to(self.customer_2)), 1)
        self.assertEqual(self._events(good)[self.step_due].state, "done")

    def test_missing_email_fails_one_event(self):
        no_email = self.env["res.partner"].create({"name": "No Email Ltda"})
        bad = self._create_invoice(partner=no_email)
        good = self._create_invoice()
        with self.mock_mail_gateway(), mute_logger(EVENT_LOGGER):
            counters = self._run(day(0))
        self.assertEqual((counters["done"], counters["failed"]), (1, 1))
        event = self._events(bad)[self.step_due]
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.failure_reason, "No Email Ltda has no valid email address."
        )
        self.assertEqual(self._events(good)[self.step_due].state, "done")
        self.assertEqual(len(self._mails_to(self.customer)), 1)

    def test_cron_schedule_survives_an_upgrade(self):
        """An administrator's schedule of the cron is kept by upgrades."""
        data = self.env["ir.model.data"].search(
            [
                ("module", "=", "collection_ruler"),
                ("name", "=", self.cron.xml_id.split(".")[1]),
            ]
        )
        self.assertTrue(data.noupdate)

    def test_an_idle_hour_leaves_no_run(self):
        """The hourly run costs two queries (the backfill flag, one count) and
        leaves no record when nothing is due; a due step makes one."""
        self.env["ir.config_parameter"].set_param(BACKFILL_PENDING, False)
        Run = self.env["collection.ruler.run"]
        runs = Run.search_count([])
        self._create_invoice()  # its first step is 3 days before the due date
        with freeze_time(day(-5)):
            self.env.flush_all()
            with self.assertQueryCount(2):
                self.assertFalse(Run._has_due_work())
            self.cron.method_direct_trigger()
        self.assertEqual(Run.search_count([]), runs, "no record of an idle hour")
        with self.mock_mail_gateway(), freeze_time(day(-3)):
            self.cron.method_direct_trigger()
        self.assertEqual(Run.search_count([]), runs + 1)

    def test_cron_record_runs(self):
        move = self._create_invoice()
        self.assertEqual(self.cron.model_id.model, "collection.ruler.run")
        with self.mock_mail_gateway(), freeze_time(day(0)):
            self.cron.method_direct_trigger()
        self.assertEqual(self._events(move)[self.step_due].state, "done")
        self.assertEqual(len(self._mails_to(self.customer)), 1)

    def test_company_time_zone(self):
        """A step is due when its date has come where the company is."""
        self.company.partner_id.tz = "America/Sao_Paulo"
        # At night: contact hours have tests of their own.
        self.env["collection.contact.window"].search([]).active = False
        move = self._create_invoice()
        late_evening_before = datetime.combine(
            DUE_DATE, datetime.min.time()
        ) + timedelta(hours=2)
        with self.mock_mail_gateway():
            self._run(late_evening_before)  # 23:00 on D-1 in São Paulo
        self.assertEqual(self._events(move)[self.step_due].state, "scheduled")
        self.assertEqual(self._events(move)[self.step_before].state, "done")
        with self.mock_mail_gateway():
            self._run(late_evening_before + timedelta(hours=2))  # 01:00 on D0
        self.assertEqual(self._events(move)[self.step_due].state, "done")

    def test_crash_between_two_emails_of_a_batch(self):
        self.when = day(0)

        def count_mails(moves):
            return self.env["mail.mail"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "in", [m.id for m in moves]),
                ]
            )

        with self.mock_mail_gateway():
            self._crash_between_invoices(
                self.step_due,
                lambda partner: self._create_invoice(partner=partner),
                count_mails,
            )

    def test_nothing_due_costs_the_same_at_any_size(self):
        """Nothing due: a run costs the same for 2 or 20 open invoices: three
        queries, and four for its number (the sequence found, read, locked
        and moved on)."""
        Run = self.env["collection.ruler.run"].sudo()
        # Nothing to catch up either (test_backfill.py covers that part).
        self.env["ir.config_parameter"].set_param(BACKFILL_PENDING, False)
        for count in (2, 18):
            for _i in range(count):
                self._create_invoice(due=DUE_DATE + timedelta(days=30))
            self.env.flush_all()
            with freeze_time(day(0)):
                Run._start("cron")._process()  # warm the caches (parameters)
                self.env.flush_all()
                with self.assertQueryCount(5):
                    run = Run._start("cron")
                    run._process()
                    self.env.flush_all()
            self.assertEqual((run.state, run.due_count), ("done", 0))

    def test_email_batch_queries_per_event(self):
        # 78: the guards included, per batch: open promises, the contact
        # hours (windows, debtors' states, holidays), the cap's grouped query;
        # the template's body, read once to see that it has a digest form;
        # the evidence: the mails and their recipients read, one insert; and
        # the run's number.
        marginal = self._marginal_queries("email", self.mock_mail_gateway, 77)
        self.assertLess(marginal, 1, f"queries of each extra email: {marginal}")

    def test_call_batch_queries_per_event(self):
        marginal = self._marginal_queries(
            "call", self.mock_mail_gateway, 49, activity_user_id=self.salesperson.id
        )
        self.assertLess(marginal, 1, f"queries of each extra call: {marginal}")

    def test_run_now_action(self):
        move = self._create_invoice()
        with self.mock_mail_gateway(), freeze_time(day(0)):
            action = self.ruler.action_run_now()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("1 sent", action["params"]["message"])
        self.assertEqual(self._events(move)[self.step_due].state, "done")

    def test_run_now_with_nothing_due_says_why_and_leaves_no_run(self):
        """After the scheduled run of the day, Run Now names it, at its time
        in the user's time zone, and leaves no empty run behind."""
        self.env.user.tz = "America/Sao_Paulo"
        Run = self.env["collection.ruler.run"]
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))  # noon UTC, 9:00 in São Paulo
        cron_run = Run.search([], limit=1)
        self.assertEqual(self._events(move)[self.step_due].state, "done")
        with freeze_time(day(0) + timedelta(hours=2)):
            action = self.ruler.action_run_now()
        self.assertEqual(Run.search([], limit=1), cron_run, "no empty run")
        params = action["params"]
        self.assertEqual(params["type"], "info")
        self.assertRegex(
            params["message"],
            r"^Nothing is due: the scheduled run at 9:00\sAM already handled "
            r"today's steps\. %s$",
        )
        self.assertEqual(
            params["links"][0]["url"],
            f"/odoo/action-collection_ruler.collection_ruler_run_action/{cron_run.id}",
        )

    def test_run_now_before_anything_is_due(self):
        """No scheduled run today and nothing due: Run Now says so, also in
        the evening, when tomorrow's steps are already due in UTC."""
        self.company.partner_id.tz = "America/Sao_Paulo"
        self.env["ir.config_parameter"].set_param(BACKFILL_PENDING, False)
        Run = self.env["collection.ruler.run"]
        runs = Run.search_count([])
        move = self._create_invoice()
        # 21:30 in São Paulo the day before the reminder (D-3): 00:30 UTC on D-3.
        evening = datetime.combine(DUE_DATE - timedelta(days=3), time(0, 30))
        with freeze_time(evening):
            action = self.ruler.action_run_now()
        self.assertEqual(action["params"]["message"], "Nothing is due today.")
        self.assertNotIn("links", action["params"])
        self.assertEqual(Run.search_count([]), runs, "no empty run")
        self.assertEqual(self._events(move)[self.step_before].state, "scheduled")
        with freeze_time(evening):
            self.assertFalse(Run._has_due_work())
            self.cron.method_direct_trigger()
        self.assertEqual(Run.search_count([]), runs, "nor an empty scheduled run")


@tagged("post_install", "-at_install")
class TestCollectionRunLimits(CollectionRulerCommon):
    def test_time_budget_leaves_the_rest_for_a_new_call(self):
        """Past its time budget a run stops between invoices and re-triggers."""
        moves = self._create_invoice() | self._create_invoice(partner=self.customer_2)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
        self.env["ir.config_parameter"].set_param("collection_ruler.batch_size", 1)
        Run = type(self.env["collection.ruler.run"])
        with (
            self.mock_mail_gateway(),
            # A budget already spent: under freeze_time the clock stands still.
            patch.object(Run, "_get_time_budget", return_value=-1),
        ):
            counters = self._run(day(0))
        run = self.env["collection.ruler.run"].search([], limit=1)
        self.assertEqual(counters["done"], 1)
        self.assertEqual(run.state, "continued")
        states = sorted(
            moves.collection_event_ids.filtered(
                lambda e: e.step_id == self.step_due
            ).mapped("state")
        )
        self.assertEqual(states, ["done", "scheduled"])
        new_triggers = (
            self.env["ir.cron.trigger"].search([("cron_id", "=", self.cron.id)])
            - triggers
        )
        self.assertTrue(new_triggers, "the cron is called again for the rest")
        with self.mock_mail_gateway():
            self._run(day(0))
        self.assertEqual(
            set(
                moves.collection_event_ids.filtered(
                    lambda e: e.step_id == self.step_due
                ).mapped("state")
            ),
            {"done"},
        )

    def test_time_budget_follows_the_cron_time_limit(self):
        Run = self.env["collection.ruler.run"]
        with patch.dict(config.options, {"limit_time_real_cron": -1}):
            with patch.dict(config.options, {"limit_time_real": 120}):
                self.assertEqual(Run._get_time_budget(), 60)
            with patch.dict(config.options, {"limit_time_real": 0}):
                self.assertIsNone(Run._get_time_budget(), "no limit, no budget")
        with patch.dict(config.options, {"limit_time_real_cron": 600}):
            self.assertEqual(Run._get_time_budget(), 300)
            self.env["ir.config_parameter"].set_param(
                "collection_ruler.time_budget", "90"
            )
            self.assertEqual(Run._get_time_budget(), 90, "the parameter decides")
            self.env["ir.config_parameter"].set_param(
                "collection_ruler.time_budget", "0"
            )
            self.assertIsNone(Run._get_time_budget(), "0 means no budget")

    def test_charges_of_a_draft_without_customer(self):
        draft = self.env["account.move"].create(
            {"move_type": "out_invoice", "invoice_date_due": DUE_DATE}
        )
        dated = draft.with_context(collection_date=day(10).date())
        self.assertEqual(dated.collection_fine_amount, 0.0)
        self.assertEqual(dated.collection_days_late, 10)

    def test_upgrade_adds_the_new_steps_inactive(self):
        """Upgrading from 18.0.1.0 must not start mailing letters at once."""
        path = get_module_path("collection_ruler")
        spec = importlib.util.spec_from_file_location(
            "collection_ruler_post_migrate_1_1",
            f"{path}/migrations/18.0.1.1.0/post-migrate.py",
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        debit = self.env.ref("collection_ruler.collection_ruler_step_debit_notice")
        move = self._create_invoice()
        migration.migrate(self.env.cr, None)
        self.assertTrue(debit.active, "a new install keeps them")
        migration.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertFalse(debit.active)
        self.assertEqual(
            self.ruler.step_ids.filtered("active").mapped("channel"),
            ["email", "email", "call", "sms"],
        )
        self.assertEqual(self._events(move)[debit].state, "cancelled")


@tagged("post_install", "-at_install")
class TestCollectionCronPdf(CollectionRulerHttpCommon):
    def test_attach_invoice_pdf(self):
        self.step_due.attach_invoice = True
        move = self._create_invoice()
        real_pdf = self.env["ir.actions.report"].get_wkhtmltopdf_state() == "ok"
        # Debian's wkhtmltopdf warns that it ignores header switches: expected.
        with (
            self.mock_mail_gateway(),
            freeze_time(day(0)),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            # Odoo renders reports as HTML under test unless told otherwise.
            self._run(day(0), force_report_rendering=real_pdf)
        mail = self._mails_to(self.customer)
        self.assertEqual(
            mail.attachment_ids.mapped("name"), [move._get_invoice_report_filename()]
        )
        content = mail.attachment_ids.raw
        if real_pdf:
            self.assertTrue(content.startswith(b"%PDF"), "a real PDF")
        else:
            self.assertIn(move.name.encode(), content, "the invoice rendered as HTML")
