"""Fallback steps: the channel a step uses when its own cannot reach the
customer, shown on the timeline as two events."""

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form, tagged

from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestFallback(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fallback_ruler = cls.env["collection.ruler"].create(
            {
                "name": "Email, else SMS",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Email a day late",
                            "offset_days": 1,
                            "channel": "email",
                            "fallback_step_ids": [
                                Command.create({"name": "SMS", "channel": "sms"})
                            ],
                        }
                    ),
                    Command.create(
                        {"name": "Email a week late", "offset_days": 7},
                    ),
                ],
            }
        )
        cls.email_step = cls.fallback_ruler.step_ids[0]
        cls.sms_step = cls.email_step.fallback_step_ids

    def test_a_fallback_belongs_to_its_step(self):
        self.assertEqual(len(self.fallback_ruler.step_ids), 2, "not one of the steps")
        self.assertEqual(
            (self.sms_step.ruler_id, self.sms_step.offset_days),
            (self.fallback_ruler, 1),
        )
        self.assertEqual(
            self.sms_step.sms_template_id,
            self.env.ref("collection_ruler.sms_template_collection_overdue"),
            "a new fallback gets its channel's default template",
        )
        self.email_step.offset_days = 2
        self.assertEqual(self.sms_step.offset_days, 2, "it follows its step")
        copy = self.fallback_ruler.copy()
        self.assertEqual(len(copy.step_ids), 2)
        copied = copy.step_ids[0].fallback_step_ids
        self.assertEqual((copied.channel, copied.ruler_id), ("sms", copy))
        self.assertNotEqual(copied, self.sms_step)

    def test_a_fallback_is_added_from_the_step_form(self):
        with Form(self.env["collection.ruler"]) as ruler_form:
            ruler_form.name = "New ruler"
            with ruler_form.step_ids.new() as step_form:
                step_form.name = "WhatsApp-free reminder"
                step_form.offset_days = 2
                step_form.channel = "email"
                with step_form.fallback_step_ids.new() as fallback_form:
                    self.assertEqual(fallback_form.channel, "sms", "the usual choice")
                    fallback_form.name = "SMS instead"
        ruler = ruler_form.record
        fallback = ruler.step_ids.fallback_step_ids
        self.assertEqual(
            (fallback.channel, fallback.ruler_id, fallback.offset_days),
            ("sms", ruler, 2),
        )
        self.assertEqual(fallback.fallback_for_id, ruler.step_ids)

    def test_a_fallback_is_never_scheduled_by_itself(self):
        move = self._create_invoice(collection_ruler_id=self.fallback_ruler.id)
        self.assertEqual(
            move.collection_event_ids.step_id,
            self.fallback_ruler.step_ids,
            "one event per step, none for the fallback",
        )

    def test_fallback_rules(self):
        template = self.step_due.mail_template_id
        with self.assertRaisesRegex(ValidationError, "another channel"):
            self.sms_step.write({"channel": "email", "mail_template_id": template.id})
        with self.assertRaisesRegex(ValidationError, "never a fallback"):
            self.sms_step.write({"channel": "credit_bureau", "bureau": "serasa"})
        with self.assertRaisesRegex(ValidationError, "one fallback at most"):
            self.email_step.fallback_step_ids = [
                Command.create({"name": "Call", "channel": "call"})
            ]
        with self.assertRaisesRegex(ValidationError, "no fallback of its own"):
            self.sms_step.fallback_step_ids = [
                Command.create({"name": "Call", "channel": "call"})
            ]

    def test_a_customer_without_email_gets_the_sms(self):
        self.customer.email = False
        move = self._create_invoice(collection_ruler_id=self.fallback_ruler.id)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            counters = self._run(day(1))
            self.assertEqual((counters["fell_back"], counters["failed"]), (1, 0))
            self.assertFalse(self._sms, "the fallback runs at the next run")
            original = self._events(move)[self.email_step]
            fallback = self._events(move)[self.sms_step]
            self.assertEqual(original.state, "fell_back")
            self.assertIn("has no valid email address", original.failure_reason)
            self.assertEqual(
                (fallback.state, fallback.scheduled_date, fallback.fallback_of_id),
                ("scheduled", day(1).date(), original),
            )
            self.assertEqual(original.fallback_event_ids, fallback)
            self.assertIn("fell back to SMS", move.message_ids[0].body)
            self.assertEqual(self._run(day(1))["done"], 1, "the same day")
        self.assertSMSOutgoing(self.customer, "+5511987654321", content=move.name)
        self.assertEqual(fallback.state, "done")
        self.assertFalse(self._mails_to(self.customer))

    def test_without_a_fallback_the_event_fails(self):
        self.email_step.fallback_step_ids.active = False
        self.customer.email = False
        move = self._create_invoice(collection_ruler_id=self.fallback_ruler.id)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            counters = self._run(day(1))
        self.assertEqual((counters["fell_back"], counters["failed"]), (0, 1))
        self.assertEqual(self._events(move)[self.email_step].state, "failed")
        self.assertNotIn(self.sms_step, self._events(move))

    def test_a_paid_invoice_cancels_its_pending_fallback(self):
        self.customer.email = False
        move = self._create_invoice(collection_ruler_id=self.fallback_ruler.id)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._run(day(1))
            self._pay(move, move.amount_total, day(1).date())
            self.assertEqual(self._run(day(1))["done"], 0)
            self.assertFalse(self._sms)
        self.assertEqual(self._events(move)[self.sms_step].state, "cancelled")
        self.assertEqual(
            self._events(move)[self.email_step].state,
            "fell_back",
            "what ran keeps its history",
        )

    def test_a_scheduled_fallback_survives_a_resync(self):
        self.customer.email = False
        move = self._create_invoice(collection_ruler_id=self.fallback_ruler.id)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._run(day(1))
        move._collection_sync_events()
        self.assertEqual(self._events(move)[self.sms_step].state, "scheduled")
