"""Delivery receipts: each channel's own plumbing reports what became of a
contact, and the event shows it with its time."""

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestDeliveryReceipts(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receipt_ruler = cls.env["collection.ruler"].create(
            {
                "name": "Email, then SMS",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Email on the due date",
                            "offset_days": 0,
                            "channel": "email",
                            "fallback_step_ids": [
                                Command.create({"name": "SMS", "channel": "sms"})
                            ],
                        }
                    ),
                    Command.create(
                        {"name": "SMS a week late", "offset_days": 7, "channel": "sms"}
                    ),
                ],
            }
        )
        cls.email_step, cls.sms_step = cls.receipt_ruler.step_ids

    def _emailed(self):
        move = self._create_invoice(collection_ruler_id=self.receipt_ruler.id)
        with self.mock_mail_gateway():
            self._run(day(0))
        event = self._events(move)[self.email_step]
        self.assertEqual(event.delivery_state, "queued", "queued is not delivered")
        mail = (
            self.env["mail.mail"]
            .sudo()
            .search([("mail_message_id", "=", event.message_id.id)])
        )
        self.assertEqual(len(mail), 1)
        return move, event, mail

    def test_an_email_sent_then_bounced(self):
        move, event, mail = self._emailed()
        with self.mock_mail_gateway(), freeze_time(day(0).replace(hour=13)):
            mail.send()
        self.assertEqual(
            (event.delivery_state, event.delivery_date),
            ("sent", day(0).replace(hour=13)),
        )
        self.assertEqual(event.state, "done")
        with freeze_time(day(1)):
            self.env["mail.thread"]._routing_handle_bounce(
                None,
                {
                    "bounced_email": "financeiro@padaria.example.com",
                    "bounced_partner": self.customer,
                    "bounced_msg_ids": [event.message_id.message_id],
                    "bounced_message": event.message_id,
                    "email_from": "MAILER-DAEMON@example.com",
                    "to": "bounce@company.example.com",
                    "message_id": "<bounce-1@example.com>",
                    "body": "550 5.1.1 User unknown",
                },
            )
        self.assertEqual(
            (event.delivery_state, event.delivery_date), ("bounced", day(1))
        )
        self.assertEqual(event.state, "fell_back", "a bounce did not reach them")
        self.assertIn("bounced", event.failure_reason)
        fallback = self._events(move)[self.email_step.fallback_step_ids]
        self.assertEqual(fallback.state, "scheduled")

    @mute_logger("odoo.addons.mail.models.mail_mail")
    def test_an_email_not_sent_fails_its_event_without_a_fallback(self):
        self.email_step.fallback_step_ids.active = False
        _move, event, mail = self._emailed()
        mail.email_to = "not an address"
        mail.recipient_ids = False
        with self.mock_mail_gateway():
            mail.send()
        self.assertEqual(event.delivery_state, "failed")
        self.assertEqual(event.state, "failed")
        self.assertIn("The email was not sent", event.failure_reason)

    def test_an_sms_delivered_or_bounced(self):
        move = self._create_invoice(collection_ruler_id=self.receipt_ruler.id)
        other = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=self.receipt_ruler.id
        )
        with self.mock_mail_gateway():
            self._run(day(0))
        with self.mockSMSGateway():
            self._run(day(7))
            events = (
                self._events(move)[self.sms_step] | self._events(other)[self.sms_step]
            )
            self.assertEqual(set(events.mapped("delivery_state")), {"queued"})
            self.env["sms.sms"].sudo().search([("id", "in", events.sms_id.ids)]).send()
        self.assertEqual(set(events.mapped("delivery_state")), {"sent"})
        trackers = (
            self.env["sms.tracker"]
            .sudo()
            .search([("sms_uuid", "in", [sms.uuid for sms in self._new_sms])])
        )
        self.assertEqual(len(trackers), 2, "one tracker per SMS")
        delivered = trackers.filtered(
            lambda t: t.mail_notification_id.mail_message_id == events[0].message_id
        )
        # As the SMS service's delivery reports do (sms/controllers/main.py).
        with freeze_time(day(7).replace(hour=14)):
            delivered._action_update_from_sms_state("sent")
            (trackers - delivered)._action_update_from_provider_error(
                "invalid_destination"
            )
        self.assertEqual(
            (events[0].delivery_state, events[0].delivery_date, events[0].state),
            ("delivered", day(7).replace(hour=14), "done"),
        )
        self.assertEqual(
            (events[1].delivery_state, events[1].state), ("bounced", "failed")
        )
        self.assertIn("The SMS was not delivered", events[1].failure_reason)
        delivered._action_update_from_sms_state("pending")
        self.assertEqual(events[0].delivery_state, "delivered", "never goes back")
