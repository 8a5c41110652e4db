from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.sms.tests.common import SMSCommon

from .common import DUE_DATE, CollectionRulerCommon, day

EVENT_LOGGER = "odoo.addons.collection_ruler.models.collection_ruler_event"


@tagged("post_install", "-at_install")
class TestCollectionSMS(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The reminders on their own: letters and the bureau have their tests.
        cls.ruler.step_ids.filtered(
            lambda s: s.channel in ("letter", "credit_bureau")
        ).active = False

    def test_walk_through_time(self):
        """D-3 email, D0 email, D+3 call, D+7 SMS, each on its day only."""
        move = self._create_invoice()
        expected = {
            -4: None,
            -3: self.step_before,
            -1: None,
            0: self.step_due,
            1: None,
            3: self.step_call,
            5: None,
            7: self.step_sms,
            8: None,
        }
        for offset, step in expected.items():
            with (
                self.subTest(day=offset),
                self.mock_mail_gateway(),
                self.mockSMSGateway(),
            ):
                counters = self._run(day(offset))
                self.assertEqual(counters["done"], 1 if step else 0)
                mails = self._mails_to(self.customer)
                if step and step.channel == "email":
                    self.assertEqual(len(mails), 1)
                    self.assertEqual(
                        self._events(move)[step].message_id, mails.mail_message_id
                    )
                else:
                    self.assertFalse(mails)
                if step and step.channel == "sms":
                    self.assertSMSOutgoing(
                        self.customer,
                        "+5511987654321",
                        content=f"invoice {move.name} was due on",
                    )
                    event = self._events(move)[step]
                    self.assertEqual(event.sms_number, "+5511987654321")
                    self.assertEqual(event.sms_id.state, "outgoing")
                    self.assertIn("1,000.00", event.sms_id.body)
                    self.assertNotIn("access_token", event.sms_id.body, "shortened")
                    self.assertIn("/r/", event.sms_id.body)
                else:
                    self.assertFalse(self._new_sms)
                if step and step.channel == "call":
                    self.assertTrue(self._events(move)[step].activity_id)
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"done"})
        self.assertFalse(move.collection_next_date)

    def test_sms_linked_to_its_chatter_message(self):
        """Each SMS belongs to its chatter message, as Odoo's own do: the
        queue's status updates refresh that message."""
        ruler = self.env["collection.ruler"].create(
            {
                "name": "SMS only",
                "step_ids": [
                    Command.create({"name": "SMS", "offset_days": 0, "channel": "sms"})
                ],
            }
        )
        moves = self._create_invoice(collection_ruler_id=ruler.id)
        moves |= self._create_invoice(
            partner=self.customer_2, collection_ruler_id=ruler.id
        )
        with self.mockSMSGateway():
            self.assertEqual(self._run(day(0))["done"], 2)
        events = moves.collection_event_ids
        for event in events:
            self.assertTrue(event.message_id)
            self.assertEqual(event.sms_id.mail_message_id, event.message_id)
            self.assertSMSNotification(
                [{"partner": event.partner_id, "state": "ready"}],
                event.sms_id.body,
                messages=event.message_id,
            )
        Message = type(self.env["mail.message"])
        original = Message._notify_message_notification_update
        updated = self.env["mail.message"]

        def spy(messages):
            nonlocal updated
            updated |= messages
            return original(messages)

        with (
            self.mockSMSGateway(),
            patch.object(Message, "_notify_message_notification_update", spy),
        ):
            self.env["sms.sms"].sudo()._process_queue()
        self.assertEqual(updated, events.message_id, "the chatter follows the SMS")
        self.assertEqual(set(events.sms_id.mapped("state")), {"pending"})
        self.assertEqual(
            set(events.message_id.notification_ids.mapped("notification_status")),
            {"pending"},
        )

    def test_late_run_keeps_the_latest_step_that_reaches_the_customer(self):
        """A run three days late: the SMS goes to those with a mobile, the
        due-date email to the one without; with neither, the SMS fails."""
        ruler = self.env["collection.ruler"].create(
            {
                "name": "Email then SMS",
                "contact_cap_day": 0,
                "contact_cap_week": 0,
                "step_ids": [
                    Command.create(
                        {"name": "Email", "offset_days": 0, "channel": "email"}
                    ),
                    Command.create({"name": "SMS", "offset_days": 3, "channel": "sms"}),
                ],
            }
        )
        email_step, sms_step = ruler.step_ids.sorted("offset_days")
        no_mobile, nothing = self.env["res.partner"].create(
            [
                {"name": "No Mobile", "email": "nomobile@example.com"},
                {"name": "Nothing"},
            ]
        )
        moves = {
            partner: self._create_invoice(partner=partner, collection_ruler_id=ruler.id)
            for partner in (self.customer, no_mobile, nothing)
        }
        Sms = type(self.env["collection.channel.sms"])
        original = Sms._get_unreachable_reasons
        calls = []

        def spy(channel, events):
            calls.append(events)
            return original(channel, events)

        with (
            self.mock_mail_gateway(),
            self.mockSMSGateway(),
            mute_logger(EVENT_LOGGER),
            patch.object(Sms, "_get_unreachable_reasons", spy),
        ):
            counters = self._run(day(3))
        self.assertEqual(
            (counters["done"], counters["failed"], counters["skipped"]), (2, 1, 3)
        )
        reached = self._events(moves[self.customer])
        self.assertEqual(reached[sms_step].state, "done")
        self.assertEqual(reached[email_step].state, "skipped")
        self.assertSMSOutgoing(self.customer, "+5511987654321")
        by_email = self._events(moves[no_mobile])
        self.assertEqual(by_email[email_step].state, "done")
        self.assertEqual(by_email[sms_step].state, "skipped")
        self.assertEqual(len(self._mails_to(no_mobile)), 1)
        unreachable = self._events(moves[nothing])
        self.assertEqual(unreachable[email_step].state, "skipped")
        self.assertEqual(
            (unreachable[sms_step].state, unreachable[sms_step].failure_reason),
            ("failed", "Nothing has no mobile number."),
        )
        self.assertEqual(len(self._new_sms), 1)
        sms_events = self.Event.search(
            [("move_id", "in", [m.id for m in moves.values()]), ("channel", "=", "sms")]
        )
        self.assertEqual(calls[0], sms_events, "one call for the whole batch")

    def test_number_normalised_with_company_country(self):
        """A local number without country is read with the company's."""
        partner = self.env["res.partner"].create(
            {
                "name": "Local Number",
                "mobile": "(11) 98765-0000",
                "email": "l@example.com",
            }
        )
        move = self._create_invoice(partner=partner, due=DUE_DATE - timedelta(days=7))
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._run(day(0))
        self.assertSMSOutgoing(partner, "+5511987650000")
        self.assertEqual(self._events(move)[self.step_sms].state, "done")

    def test_invalid_number_fails_one_event(self):
        bad_partner = self.env["res.partner"].create(
            {
                "name": "Bad Number",
                "mobile": "12345",
                "country_id": self.env.ref("base.br").id,
            }
        )
        no_partner = self.env["res.partner"].create({"name": "No Number"})
        # The SMS step alone: a late run would pick an earlier step that
        # reaches the customer.
        (self.ruler.step_ids - self.step_sms).active = False
        late = DUE_DATE - timedelta(days=7)
        bad = self._create_invoice(partner=bad_partner, due=late)
        missing = self._create_invoice(partner=no_partner, due=late)
        good = self._create_invoice(partner=self.customer_2, due=late)
        with self.mock_mail_gateway(), self.mockSMSGateway(), mute_logger(EVENT_LOGGER):
            counters = self._run(day(0))
        self.assertEqual((counters["done"], counters["failed"]), (1, 2))
        bad_event = self._events(bad)[self.step_sms]
        self.assertEqual(bad_event.state, "failed")
        self.assertEqual(
            bad_event.failure_reason,
            "The number 12345 of Bad Number is not a valid phone number.",
        )
        self.assertEqual(
            self._events(missing)[self.step_sms].failure_reason,
            "No Number has no mobile number.",
        )
        self.assertSMSOutgoing(self.customer_2, "+5521998765432")
        self.assertEqual(len(self._new_sms), 1, "only the valid number got an SMS")
        self.assertEqual(self._events(good)[self.step_sms].state, "done")

    def test_crash_between_two_sms_of_a_batch(self):
        self.when = day(0)
        ruler = self.env["collection.ruler"].create(
            {
                "name": "SMS only",
                "step_ids": [
                    Command.create({"name": "SMS", "offset_days": 0, "channel": "sms"})
                ],
            }
        )

        def count_sms(moves):
            return self.env["sms.sms"].search_count(
                [("partner_id", "in", (self.customer | self.customer_2).ids)]
            )

        with self.mockSMSGateway():
            self._crash_between_invoices(
                ruler.step_ids,
                lambda partner: self._create_invoice(
                    partner=partner, collection_ruler_id=ruler.id
                ),
                count_sms,
            )

    def test_sms_batch_queries_per_event(self):
        # 56: the notification and tracker of each SMS, for its delivery
        # reports, are two bulk inserts; the guards (promises, contact hours,
        # cap) six queries a batch; the template's body, read once to see
        # that it has a digest form.
        marginal = self._marginal_queries("sms", self.mockSMSGateway, 59)
        self.assertLess(marginal, 1, f"queries of each extra SMS: {marginal}")
