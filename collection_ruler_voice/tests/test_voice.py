"""The recorded-call step: the spoken message, Twilio's call, and unanswered
calls tried again as the step says, then failed or fallen back."""

import base64
from datetime import timedelta
from urllib.parse import parse_qs

from freezegun import freeze_time
from lxml import etree

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.collection_ruler.tests.common import CollectionRulerCommon, day
from odoo.addons.collection_ruler.tests.fake_servers import (
    FakeServer,
    only_local_network,
)
from odoo.addons.sms.tests.common import SMSCommon

SCRIPT = (
    "Hello {{ object.partner_id.name }}, invoice {{ object.name }} of "
    "{{ format_amount(object.collection_amount_due, object.currency_id) }} is late."
)


@tagged("post_install", "-at_install")
class TestVoiceStep(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "Twilio",
                "code": "twilio_voice",
                "state": "enabled",
                "company_id": cls.company.id,
                "twilio_account_sid": "AC0123456789abcdef0123456789abcdef",
                "twilio_auth_token": "token",
                "twilio_from_number": "+551140040000",
            }
        )
        cls.voice_ruler = cls.env["collection.ruler"].create(
            {
                "name": "Robot calls",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Recorded call",
                            "offset_days": 3,
                            "channel": "voice",
                            "voice_script": SCRIPT,
                            "voice_retry_count": 2,
                            "voice_retry_hours": 2,
                        }
                    )
                ],
            }
        )
        cls.step = cls.voice_ruler.step_ids

    def setUp(self):
        super().setUp()
        self.server = self.enterContext(FakeServer())
        self.enterContext(only_local_network())
        self.env["ir.config_parameter"].sudo().set_param(
            "collection_ruler.twilio_voice_url", self.server.url
        )
        self.Message = self.env["collection.provider.message"].sudo()
        # The day the step is due: calls and their statuses happen then.
        self.enterContext(freeze_time(day(3)))

    def _queued_call(self):
        move = self._create_invoice(collection_ruler_id=self.voice_ruler.id)
        self.assertEqual(self._run(day(3))["done"], 1)
        return move, move.collection_event_ids

    def _status(self, message, status, **params):
        self.provider._twilio_voice_apply_status(
            {"CallSid": message.provider_ref, "CallStatus": status, **params}
        )

    def _send(self, sid):
        self.server.script((201, {"sid": sid}))
        return self.Message._send_queue()

    def test_a_step_needs_its_spoken_message(self):
        with self.assertRaisesRegex(ValidationError, "Write the message"):
            self.step.voice_script = " "

    def test_the_call_speaks_the_rendered_message(self):
        _move, event = self._queued_call()
        message = event.provider_message_id
        self.assertEqual(message.payload["to"], "+5511987654321")
        self.assertEqual(event.delivery_state, "queued")
        self._send("CA1")
        self.assertEqual(message.state, "sent")
        self.assertEqual(event.delivery_state, "sent")
        form = parse_qs(self.server.requests[0]["body"])
        say = etree.fromstring(form["Twiml"][0].encode()).find("Say")
        self.assertIn(
            f"Hello Padaria Pão Quente, invoice {event.move_id.name}", say.text
        )
        self.assertIn("1,000.00", say.text, "the amount as the customer reads it")
        self.assertEqual(
            (say.get("language"), say.get("voice")), ("en-US", "Polly.Joanna")
        )
        self._status(message, "completed", CallDuration="31", AnsweredBy="human")
        self.assertEqual((message.state, message.call_duration), ("delivered", 31))
        self.assertEqual((event.state, event.delivery_state), ("done", "answered"))

    def test_unanswered_calls_are_tried_again_then_fail(self):
        move, event = self._queued_call()
        first = event.provider_message_id
        self._send("CA1")
        self._status(first, "no-answer")
        second = event.provider_message_id
        self.assertNotEqual(second, first)
        self.assertEqual(first.state, "failed")
        self.assertEqual(second.state, "queued")
        self.assertEqual(event.state, "done", "not failed while retries are left")
        self.assertIn("calling again", move.message_ids[0].body)
        self.assertFalse(self.Message._send_queue(), "not before two hours")
        later = second.next_attempt_at
        self.assertEqual(later, day(3) + timedelta(hours=2))
        with freeze_time(later):
            self._send("CA2")
            self._status(second, "busy")
        third = event.provider_message_id
        self.assertEqual(third.next_attempt_at, later + timedelta(hours=2))
        with freeze_time(third.next_attempt_at):
            self._send("CA3")
            self._status(third, "failed")
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.failure_reason, "Call Failed (3 calls)")
        self.assertEqual(self.Message.search_count([("event_id", "=", event.id)]), 3)

    def test_an_answering_machine_follows_the_step(self):
        _move, event = self._queued_call()
        message = event.provider_message_id
        self._send("CA1")
        self._status(message, "completed", AnsweredBy="machine_end_beep")
        self.assertEqual(message.state, "delivered", "the message was left")

        self.step.voice_machine = "no_answer"
        self.voice_ruler.contact_cap_day = 0  # a second call the same day
        _move, event = self._queued_call()
        message = event.provider_message_id
        self._send("CA2")
        self._status(message, "completed", AnsweredBy="machine_start")
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.failure_reason, "Answering machine")
        self.assertNotEqual(event.provider_message_id, message, "called again")

    def test_an_unanswered_call_is_retried_then_falls_back_to_sms(self):
        self.step.write(
            {
                "voice_retry_count": 1,
                "fallback_step_ids": [Command.create({"channel": "sms"})],
            }
        )
        sms_step = self.step.fallback_step_ids
        move, event = self._queued_call()
        first = event.provider_message_id
        self._send("CA1")
        self._status(first, "no-answer")
        second = event.provider_message_id
        self.assertEqual(event.state, "done", "a retry is left")
        with freeze_time(second.next_attempt_at):
            self._send("CA2")
            self._status(second, "busy")
        self.assertEqual(event.state, "fell_back")
        self.assertEqual(event.failure_reason, "Busy (2 calls)")
        fallback = self._events(move)[sms_step]
        self.assertEqual(
            (fallback.state, fallback.fallback_of_id), ("scheduled", event)
        )
        self.assertIn("fell back to Recorded call (fallback)", move.message_ids[0].body)
        with self.mockSMSGateway():
            self.assertEqual(self._run(day(3) + timedelta(hours=4))["done"], 1)
        self.assertSMSOutgoing(self.customer, "+5511987654321", content=move.name)
        self.assertEqual(fallback.state, "done")

    def test_a_recording_is_played_from_its_link(self):
        self.step.write(
            {
                "voice_source": "audio",
                "voice_audio": base64.b64encode(b"ID3 fake mp3"),
                "voice_audio_filename": "aviso.mp3",
            }
        )
        _move, event = self._queued_call()
        payload = event.provider_message_id.payload
        self.assertFalse(payload["text"])
        url = self.env["collection.channel.voice"]._get_audio_url(self.step)
        self.assertEqual(payload["audio_url"], url)
        self.assertRegex(url, rf"/collection_ruler/voice/{self.step.id}/\w+\.mp3$")
        self._send("CA1")
        form = parse_qs(self.server.requests[0]["body"])
        play = etree.fromstring(form["Twiml"][0].encode()).find("Play")
        self.assertEqual(play.text, url)
        with self.assertRaisesRegex(ValidationError, "an MP3 file"):
            self.step.voice_audio_filename = "aviso.wav"


@tagged("post_install", "-at_install")
class TestVoiceWording(CollectionRulerCommon):
    def test_the_wording_check_reads_the_spoken_message(self):
        """The channel says what its steps say: the forbidden-wording check
        reads a recorded call's message as it reads an email."""
        voice = self.env["collection.ruler.step"].create(
            {
                "ruler_id": self.ruler.id,
                "name": "Recorded reminder",
                "offset_days": 4,
                "channel": "voice",
                "voice_script": "Your invoice is overdue.",
            }
        )
        with self.assertRaisesRegex(ValidationError, r"Recorded reminder \(spoken"):
            voice.voice_script = "Your invoice is overdue: the police were told."
