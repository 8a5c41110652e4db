"""Twilio Voice: the signature, TwiML, a call through the queue, and its
signed status callbacks over HTTP."""

import re
from urllib.parse import parse_qs

from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import HttpCase, TransactionCase, tagged
from odoo.tools import mute_logger

from odoo.addons.collection_ruler.tests.common import CollectionRulerHttpCommon
from odoo.addons.collection_ruler.tests.fake_servers import (
    FakeServer,
    only_local_network,
    refused_url,
)

from ..tools import twilio_voice

TOKEN = "twilio-auth-token"
SID = "CA5f1d3c2b9e8a7f6e5d4c3b2a1f0e9d8c"


@tagged("post_install", "-at_install")
class TestTwilioVoice(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "Twilio",
                "code": "twilio_voice",
                "state": "enabled",
                "twilio_account_sid": "AC0123456789abcdef0123456789abcdef",
                "twilio_auth_token": TOKEN,
                "twilio_from_number": "+551140040000",
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Maria da Silva"})

    def setUp(self):
        super().setUp()
        self.server = self.enterContext(FakeServer())
        self.enterContext(only_local_network())
        self.env["ir.config_parameter"].set_param(
            "collection_ruler.twilio_voice_url", self.server.url
        )

    def _call(self, **values):
        return self.env["collection.provider.message"].create(
            {
                "provider_id": self.provider.id,
                "partner_id": self.partner.id,
                "recipient": "+5511987654321",
                "payload": {
                    "to": "+5511987654321",
                    "text": "Olá, Maria.",
                    "language": "pt-BR",
                },
                **values,
            }
        )

    def test_the_signature_of_twilios_documented_example(self):
        params = {
            "CallSid": "CA1234567890ABCDE",
            "Caller": "+12349013030",
            "Digits": "1234",
            "From": "+12349013030",
            "To": "+18005551212",
        }
        url = "https://mycompany.com/myapp.php?foo=1&bar=2"
        expected = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        self.assertEqual(twilio_voice.signature("12345", url, params), expected)
        self.assertTrue(twilio_voice.check_signature("12345", url, params, expected))
        tampered = dict(params, Digits="9999")
        self.assertFalse(twilio_voice.check_signature("12345", url, tampered, expected))
        self.assertFalse(twilio_voice.check_signature("12345", url, params, None))

    def test_twiml_speaks_in_portuguese_or_plays_a_file(self):
        say = etree.fromstring(twilio_voice.twiml(say="Sua fatura venceu.").encode())
        node = say.find("Say")
        self.assertEqual(node.text, "Sua fatura venceu.")
        self.assertEqual(node.get("language"), "pt-BR")
        play = etree.fromstring(
            twilio_voice.twiml(play_url="https://example.com/a.mp3").encode()
        )
        self.assertEqual(play.find("Play").text, "https://example.com/a.mp3")
        escaped = twilio_voice.twiml(say="A & B <c>")
        self.assertIn("A &amp; B &lt;c&gt;", escaped)

    def test_a_call_is_placed_through_the_queue(self):
        self.server.script((201, {"sid": SID, "status": "queued"}))
        message = self._call()
        self.env["collection.provider.message"]._send_queue()
        self.assertEqual((message.state, message.provider_ref), ("sent", SID))
        (request,) = self.server.requests
        self.assertEqual(
            request["path"],
            "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Calls.json",
        )
        self.assertTrue(request["headers"]["Authorization"].startswith("Basic "))
        form = {key: values[0] for key, values in parse_qs(request["body"]).items()}
        self.assertEqual(form["To"], "+5511987654321")
        self.assertEqual(form["From"], "+551140040000")
        say = etree.fromstring(form["Twiml"].encode()).find("Say")
        self.assertEqual(
            (say.text, say.get("language"), say.get("voice")),
            ("Olá, Maria.", "pt-BR", "Polly.Camila"),
        )
        self.assertEqual(form["MachineDetection"], "Enable")
        self.assertTrue(
            form["StatusCallback"].endswith(
                f"/collection_ruler/twilio/{self.provider.id}/status"
            )
        )

    def test_a_twilio_error_fails_the_call_with_its_message(self):
        self.server.script(
            (
                400,
                {"code": 21215, "message": "Geo Permission not enabled", "status": 400},
            )
        )
        message = self._call()
        self.env["collection.provider.message"]._send_queue()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.failure_reason, "Geo Permission not enabled (21215)")

    def test_test_connection_names_the_account_or_says_what_failed(self):
        self.provider.state = "test"
        self.server.script(
            (200, {"friendly_name": "Padaria Central", "status": "active"}),
            (401, {"code": 20003, "message": "Authenticate", "status": 401}),
        )
        action = self.provider.action_test_connection()
        self.assertEqual(
            action["params"]["message"], "Connected to Twilio: Padaria Central."
        )
        (request,) = self.server.requests
        self.assertEqual(request["method"], "GET")
        self.assertEqual(
            request["path"],
            "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef.json",
        )
        self.assertTrue(request["headers"]["Authorization"].startswith("Basic "))
        with self.assertRaisesRegex(
            UserError, r"^Twilio refused the request: Authenticate \(20003\)$"
        ):
            self.provider.action_test_connection()
        url = refused_url()
        self.env["ir.config_parameter"].set_param(
            "collection_ruler.twilio_voice_url", url
        )
        with self.assertRaisesRegex(
            UserError,
            rf"^Could not reach Twilio \({url.removeprefix('http://')}\): check the "
            "network and try again.$",
        ):
            self.provider.action_test_connection()

    def _callback(self, params, token=TOKEN):
        path = f"/collection_ruler/twilio/{self.provider.id}/status"
        url = self.provider.get_base_url() + path
        headers = {"X-Twilio-Signature": twilio_voice.signature(token, url, params)}
        return self.url_open(path, data=params, headers=headers)

    @mute_logger("odoo.addons.collection_ruler_voice.controllers.twilio")
    def test_status_callbacks_are_signed_and_applied(self):
        answered = self._call(state="sent", provider_ref=SID)
        params = {
            "CallSid": SID,
            "CallStatus": "completed",
            "CallDuration": "42",
            "AnsweredBy": "human",
        }
        self.assertEqual(self._callback(params, token="forged").status_code, 403)
        self.assertEqual(answered.state, "sent", "nothing applied")
        self.assertEqual(self._callback(params).status_code, 200)
        self.assertEqual(answered.state, "delivered")
        self.assertEqual(
            (answered.call_duration, answered.call_answered_by), (42, "human")
        )

        unanswered = self._call(state="sent", provider_ref="CA2")
        self._callback({"CallSid": "CA2", "CallStatus": "no-answer"})
        self.assertEqual(unanswered.state, "failed")
        self.assertEqual(unanswered.failure_reason, "No Answer")


@tagged("post_install", "-at_install")
class TestCollectionTranslationHttp(CollectionRulerHttpCommon):
    """A provider's webhook, a request in no one's language, writes in the
    company's."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br(("collection_ruler", "collection_ruler_voice"))
        cls.company.partner_id.lang = "pt_BR"
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "Twilio",
                "code": "twilio_voice",
                "state": "enabled",
                "company_id": cls.company.id,
                "twilio_account_sid": "AC0123456789abcdef0123456789abcdef",
                "twilio_auth_token": "twilio-auth-token",
                "twilio_from_number": "+551140040000",
            }
        )

    def test_an_unanswered_call_reported_by_twilio(self):
        Message = self.env["collection.provider.message"].sudo()
        call = Message.create(
            {
                "provider_id": self.provider.id,
                "recipient": "+5511987654321",
                "state": "sent",
                "provider_ref": "CA2",
            }
        )
        params = {"CallSid": "CA2", "CallStatus": "no-answer"}
        path = f"/collection_ruler/twilio/{self.provider.id}/status"
        url = self.provider.get_base_url() + path
        signature = twilio_voice.signature("twilio-auth-token", url, params)
        response = self.url_open(
            path,
            data=params,
            headers={"X-Twilio-Signature": signature, "Accept-Language": "en-US"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(call.state, "failed")
        self.assertEqual(call.failure_reason, "Não atendida")


@tagged("post_install", "-at_install")
class TestVoiceProviderNumbers(TransactionCase):
    def test_phone_fields_must_be_e164(self):
        provider = self.env["collection.provider"].create(
            {
                "name": "Twilio",
                "code": "twilio_voice",
                "twilio_from_number": "+551140040000",
                "zenvia_caller_id": "+5511987654321",
            }
        )
        for fname, label in (
            ("twilio_from_number", "Caller Number"),
            ("zenvia_caller_id", "Zenvia Caller Number"),
        ):
            for number in (
                "(11) 4004-0000",
                "+55 11 4004-0000",
                "+5511",
                "551140040000",
            ):
                with (
                    self.assertRaisesRegex(
                        ValidationError,
                        f"^{label} must be in E.164 format: a \\+ followed by 8 "
                        f"to 15 digits, without spaces or dashes \\(such as "
                        f"\\+551140040000\\), not “{re.escape(number)}”.$",
                    ),
                    self.env.cr.savepoint(),
                ):
                    provider.write({fname: number})
            self.assertIn(
                "E.164", provider._fields[fname]._description_help(self.env), fname
            )
        provider.write(
            {"twilio_from_number": "+14155550123", "zenvia_caller_id": False}
        )
        self.assertEqual(provider.twilio_from_number, "+14155550123")
