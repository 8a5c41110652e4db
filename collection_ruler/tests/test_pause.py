"""Pauses, promises to pay and disputes: the ruler waits, resumes on its
own, and every change shows in the chatter and on the timeline."""

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestPauseAndPromise(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.late_ruler = cls._create_email_ruler("Late", Three=3, Ten=10)
        cls.step_three = cls.late_ruler.step_ids[0]
        # Steps on any day: contact hours have tests of their own.
        cls.env["collection.contact.window"].search([]).active = False

    def _invoice(self, **vals):
        return self._create_invoice(collection_ruler_id=self.late_ruler.id, **vals)

    def _promise(self, move, when, date, amount):
        with freeze_time(when):
            return self.env["collection.promise"].create(
                {"move_id": move.id, "date": date, "amount": amount}
            )

    def test_an_invoice_paused_until_a_date(self):
        move = self._invoice()
        move.collection_paused_until = day(5).date()
        self.assertIn(
            "collection_paused_until",
            move._track_get_fields(),
            "a pause shows in the chatter",
        )
        with self.mock_mail_gateway():
            counters = self._run(day(3))
            self.assertEqual((counters["done"], counters["deferred"]), (0, 1))
            event = self._events(move)[self.step_three]
            self.assertEqual(event.scheduled_date, day(6).date())
            self.assertIn("Collection of the invoice is paused", event.failure_reason)
            self.assertEqual(self._run(day(6))["done"], 1, "resumed on its own")

    def test_a_customer_paused(self):
        first, second = self._invoice(), self._invoice()
        self.customer.collection_paused_until = day(4).date()
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(3))["deferred"], 2)
        self.assertIn(
            "Collection of Padaria Pão Quente is paused",
            self._events(first)[self.step_three].failure_reason,
        )
        self.assertEqual(
            self._events(second)[self.step_three].scheduled_date, day(5).date()
        )

    def test_a_promise_kept(self):
        move = self._invoice()
        promise = self._promise(move, day(2), day(6).date(), 1000.0)
        self.assertIn("recorded a promise to pay", move.message_ids[0].body)
        self.assertEqual(promise.residual_at_promise, 1000.0)
        with self.mock_mail_gateway():
            counters = self._run(day(3))
            self.assertEqual(counters["deferred"], 1)
            self.assertIn(
                "promised to pay", self._events(move)[self.step_three].failure_reason
            )
            self._pay(move, 1000.0, day(5).date())
            self._run(day(7))
            self.assertFalse(self._mails_to(self.customer), "nothing more is sent")
        self.assertEqual(promise.state, "kept")

    def test_a_promise_broken(self):
        move = self._invoice()
        promise = self._promise(move, day(2), day(6).date(), 1000.0)
        with self.mock_mail_gateway():
            self._run(day(3))
            # The day after the promised date: the payment may still show.
            self.assertEqual(self._run(day(7))["done"], 0)
            self.assertEqual(promise.state, "open")
            counters = self._run(day(8))
        self.assertEqual(promise.state, "broken")
        self.assertTrue(
            move.message_ids.filtered(lambda m: "promise broken" in (m.body or "")),
        )
        self.assertEqual(counters["done"], 1, "the ruler resumed")

    def test_a_broken_promise_runs_the_rulers_step_for_it(self):
        step = self.env["collection.ruler.step"].create(
            {
                "ruler_id": self.late_ruler.id,
                "name": "You promised",
                "channel": "email",
                "on_broken_promise": True,
            }
        )
        self.assertEqual(step.offset_label, "On a broken promise")
        move = self._invoice()
        self.assertNotIn(step, self._events(move), "not scheduled at an offset")
        self._promise(move, day(2), day(6).date(), 1000.0)
        with self.mock_mail_gateway():
            self._run(day(3))
            counters = self._run(day(8))
            event = self._events(move)[step]
            self.assertEqual(event.state, "done")
            self.assertEqual(counters["done"], 1, "one message, not a burst")
            self.assertEqual(len(self._mails_to(self.customer)), 1)

    def test_a_partial_promise_kept_lets_the_ruler_go_on(self):
        move = self._invoice()
        promise = self._promise(move, day(2), day(4).date(), 300.0)
        self._pay(move, 300.0, day(4).date())
        with self.mock_mail_gateway():
            counters = self._run(day(5))
        self.assertEqual(promise.state, "kept")
        self.assertEqual(counters["done"], 1, "for what is left")

    def test_a_promise_on_a_cancelled_invoice_is_cancelled(self):
        move = self._invoice()
        promise = self._promise(move, day(2), day(6).date(), 1000.0)
        move.button_draft()
        move.button_cancel()
        self._run(day(8))
        self.assertEqual(promise.state, "cancelled", "not broken: nothing is owed")

    def test_promise_rules(self):
        move = self._invoice()
        # assertRaises, not assertRaisesRegex: Odoo's rolls back what failed.
        with self.assertRaises(ValidationError) as error:
            self._promise(move, day(2), day(6).date(), 0.0)
        self.assertIn("positive amount", str(error.exception))
        with self.assertRaises(ValidationError) as error:
            self._promise(move, day(2), day(1).date(), 100.0)
        self.assertIn("today or later", str(error.exception))
        promise = self._promise(move, day(2), day(6).date(), 100.0)
        promise.action_cancel()
        self.assertEqual(promise.state, "cancelled")
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(3))["done"], 1, "no pause left")

    def test_a_dispute_holds_every_step_until_it_is_settled(self):
        move = self._create_invoice()  # the standard ruler, credit bureau included
        bureau = move.collection_event_ids.filtered(
            lambda e: e.channel == "credit_bureau"
        )
        self.assertEqual(bureau.state, "scheduled")
        move.collection_dispute_reason = "Goods returned: see credit note request"
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"cancelled"})
        self.assertEqual(
            bureau.failure_reason,
            "The customer disputes the invoice: Goods returned: see credit note "
            "request",
        )
        self.assertNotIn(
            move,
            self.env["account.move"].search(
                self.env["account.move"]._collection_get_collectible_domain()
            ),
        )
        move.collection_dispute_reason = False
        self.assertEqual(bureau.state, "scheduled", "the ruler resumes")
