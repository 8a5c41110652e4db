"""The Apply Collection Ruler action: a preview, then the ruler applied."""

from freezegun import freeze_time

from odoo import Command, http
from odoo.tests import Form, tagged

from .common import DUE_DATE, CollectionRulerCommon, CollectionRulerHttpCommon, day
from .test_backfill import BEFORE


@tagged("post_install", "-at_install")
class TestApplyRuler(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reminders = cls._create_email_ruler(
            "Reminders", **{"On the day": 0, "A week late": 7}
        )
        cls.on_the_day, cls.week_late = cls.reminders.step_ids

    def _wizard(self, records, **values):
        wizard = Form(
            self.env["collection.ruler.apply"].with_context(
                active_model=records._name, active_ids=records.ids
            )
        )
        wizard.ruler_id = self.reminders
        for name, value in values.items():
            setattr(wizard, name, value)
        return wizard.save()

    def test_invoices_see_a_preview_then_skip_what_is_past(self):
        week_old = self._create_invoice()
        due_today = self._create_invoice(
            partner=self.customer_2, due=day(7).date(), amount=300.0
        )
        paid = self._create_invoice()
        self._pay(paid, 1000.0, DUE_DATE)
        refund = self._create_invoice(move_type="out_refund", post=False)
        selection = week_old | due_today | paid | refund
        with freeze_time(day(7)):
            wizard = self._wizard(selection)
            self.assertEqual(wizard.invoice_count, 2)
            self.assertEqual(wizard.target_move_ids, week_old | due_today)
            preview = str(wizard.preview)
            self.assertIn("2 invoices will follow <strong>Reminders</strong>", preview)
            self.assertIn("2 selected documents stay as they are", preview)
            self.assertIn("1 step whose date has passed will not be sent", preview)
            self.assertIn("1 × On the day (Email)", preview)
            self.assertIn("1 × A week late (Email)", preview)
            self.assertFalse(
                week_old.collection_event_ids.filtered(
                    lambda e: e.ruler_id == self.reminders
                ),
                "the preview changes nothing",
            )
            wizard.action_apply()
        self.assertEqual((week_old | due_today).collection_ruler_id, self.reminders)
        self.assertTrue(week_old.collection_ruler_chosen)
        self.assertEqual(paid.collection_ruler_id, self.ruler, "a paid one is left")
        events = self._events(week_old)
        self.assertEqual(events[self.on_the_day].state, "skipped")
        self.assertRegex(events[self.on_the_day].failure_reason, BEFORE)
        self.assertEqual(events[self.step_sms].state, "cancelled")
        with self.mock_mail_gateway():
            counters = self._run(day(7))
        self.assertEqual(counters["done"], 2, "what the preview announced")
        self.assertEqual(self._events(week_old)[self.week_late].state, "done")
        self.assertEqual(self._events(due_today)[self.on_the_day].state, "done")

    def test_send_the_current_step_goes_through_the_catch_up_rule(self):
        move = self._create_invoice()
        with freeze_time(day(8)):
            wizard = self._wizard(move)
            self.assertIn(
                "2 steps whose date has passed will not be sent", str(wizard.preview)
            )
            self.assertIn("The next run sends nothing", str(wizard.preview))
            wizard = self._wizard(move, send_now=True)
            preview = str(wizard.preview)
            self.assertIn("1 step whose date has passed will not be sent", preview)
            self.assertIn("1 × A week late (Email)", preview)
            wizard.action_apply()
        self.assertEqual(
            {
                e.state
                for e in move.collection_event_ids
                if e.ruler_id == self.reminders
            },
            {"scheduled"},
            "left for the next run to choose",
        )
        with self.mock_mail_gateway():
            counters = self._run(day(8))
        self.assertEqual((counters["done"], counters["skipped"]), (1, 1))
        self.assertEqual(self._events(move)[self.week_late].state, "done")
        self.assertEqual(len(self._mails_to(self.customer)), 1)

    def test_customers_keep_the_rulers_chosen_for_an_invoice(self):
        other = self.reminders.copy({"name": "Other"})
        follows = self._create_invoice()
        chosen = self._create_invoice(collection_ruler_id=other.id)
        self.assertTrue(chosen.collection_ruler_chosen)
        self.assertFalse(follows.collection_ruler_chosen)
        contact = self.env["res.partner"].create(
            {"name": "Accounts", "parent_id": self.customer.id}
        )
        with freeze_time(day(-1)):
            wizard = self._wizard(contact)
            self.assertEqual(wizard.target_move_ids, follows)
            preview = str(wizard.preview)
            self.assertIn("1 invoice will follow <strong>Reminders</strong>", preview)
            self.assertIn("1 invoice keeps the ruler chosen for it", preview)
            wizard.action_apply()
        self.assertEqual(self.customer.collection_ruler_id, self.reminders)
        self.assertEqual(follows.collection_ruler_id, self.reminders)
        self.assertFalse(follows.collection_ruler_chosen)
        self.assertEqual(chosen.collection_ruler_id, other)
        self.assertEqual(
            follows.collection_event_ids.filtered(
                lambda e: e.state == "scheduled"
            ).step_id,
            self.reminders.step_ids,
        )
        self.assertEqual(
            self._create_invoice(post=False).collection_ruler_id,
            self.reminders,
            "the customer's new invoices follow it too",
        )

    def test_a_ruler_the_form_sends_back_is_not_chosen(self):
        move = self._create_invoice(collection_ruler_id=self.ruler.id)
        self.assertFalse(move.collection_ruler_chosen, "what it would take anyway")
        move.collection_ruler_id = self.reminders
        self.assertTrue(move.collection_ruler_chosen)
        move.collection_ruler_id = self.ruler
        self.assertFalse(move.collection_ruler_chosen, "back to the company's")

    def test_a_new_default_ruler_in_settings_is_previewed_before_save(self):
        other = self.reminders.copy({"name": "Other"})
        vip = self.env["res.partner.category"].create({"name": "VIP"})
        self.env["collection.ruler.rule"].create(
            {
                "name": "VIP customers",
                "ruler_id": other.id,
                "category_ids": [Command.set(vip.ids)],
            }
        )
        individual, vip_customer = self.env["res.partner"].create(
            [
                {"name": "Maria Souza", "email": "maria@example.com"},
                {"name": "VIP Ltda", "category_id": [Command.set(vip.ids)]},
            ]
        )
        self.customer_2.with_company(self.company).collection_ruler_id = other
        week_old = self._create_invoice()
        due_today = self._create_invoice(partner=individual, due=day(7).date())
        draft = self._create_invoice(post=False)
        chosen = self._create_invoice(collection_ruler_id=other.id)
        of_customer = self._create_invoice(partner=self.customer_2)
        of_rule = self._create_invoice(partner=vip_customer)
        paid = self._create_invoice()
        self._pay(paid, 1000.0, DUE_DATE)
        self.assertEqual((chosen | of_customer | of_rule).collection_ruler_id, other)
        with freeze_time(day(7)):
            settings = Form(self.env["res.config.settings"])
            self.assertFalse(settings.collection_ruler_preview, "nothing changed")
            settings.collection_ruler_id = self.reminders
            preview = str(settings.collection_ruler_preview)
            self.assertIn("3 invoices will follow <strong>Reminders</strong>", preview)
            self.assertIn("3 invoices keep a ruler of their own", preview)
            self.assertIn("1 step whose date has passed will not be sent", preview)
            self.assertIn("1 × On the day (Email)", preview)
            self.assertIn("1 × A week late (Email)", preview)
            self.assertEqual(self.company.collection_ruler_id, self.ruler, "unsaved")
            settings.save().execute()
        self.assertEqual(self.company.collection_ruler_id, self.reminders)
        with self.mock_mail_gateway():
            self._run(day(7))
        self.assertEqual(
            (week_old | due_today | draft).collection_ruler_id, self.reminders
        )
        followers = (week_old | due_today | draft).collection_event_ids.filtered(
            lambda e: e.ruler_id == self.reminders
        )
        self.assertEqual(
            len(followers.filtered(lambda e: e.state == "done")),
            2,
            "what the preview announced",
        )
        self.assertEqual((chosen | of_customer | of_rule).collection_ruler_id, other)
        self.assertEqual(self._events(week_old)[self.on_the_day].state, "skipped")
        self.assertEqual(self._events(week_old)[self.week_late].state, "done")
        self.assertEqual(self._events(due_today)[self.on_the_day].state, "done")

    def test_no_default_ruler_in_settings_is_previewed_too(self):
        self._create_invoice()
        self._create_invoice(partner=self.customer_2)
        settings = Form(self.env["res.config.settings"])
        settings.collection_ruler_id = self.env["collection.ruler"]
        self.assertIn(
            "2 invoices will have no collection ruler",
            str(settings.collection_ruler_preview),
        )


@tagged("post_install", "-at_install")
class TestApplyRulerInBrowser(CollectionRulerHttpCommon):
    def test_a_manager_applies_a_ruler_from_the_invoice_list(self):
        """In the web client: select, preview, apply (static/tests/tours)."""
        ruler = self._create_email_ruler("Tour Ruler", **{"Tour email": 0})
        debtor = self.customer.copy({"name": "Tour Debtor"})
        move = self._create_invoice(partner=debtor)
        self.assertEqual(move.collection_ruler_id, self.ruler)
        # The invoice fell due on DUE_DATE: its step is past whatever today is.
        # The tour runs as the test user, an accounting manager. The server
        # reads every addon's manifest on its first static file; read them
        # here, before the browser's parallel requests do: CPython 3.11.7's
        # ast.literal_eval is not thread-safe (SystemError "AST constructor
        # recursion depth mismatch"), which once failed a stylesheet.
        self.assertIn(
            "collection_ruler", http.root.statics, "the tour's file is served"
        )

        self.start_tour(
            "/odoo/action-account.action_move_out_invoice_type",
            "collection_ruler_apply_tour",
            login=self.env.user.login,
        )
        self.assertEqual(move.collection_ruler_id, ruler)
        self.assertTrue(move.collection_ruler_chosen)
        event = move.collection_event_ids.filtered(lambda e: e.ruler_id == ruler)
        self.assertEqual(event.state, "skipped", "past when the ruler was applied")
