"""Zenvia Voice: calls through the queue, the webhook whose URL carries the
provider's secret, polling, and a recording served through a tokenized link."""

import base64
import json
from datetime import timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from odoo.addons.collection_ruler.tests.common import day
from odoo.addons.collection_ruler.tests.fake_servers import (
    FakeServer,
    only_local_network,
    refused_url,
)

CALL_ID = 4321
MP3 = b"ID3\x03\x00\x00\x00\x00\x00\x00fake mp3 frames"


def zenvia(dados, status=200):
    """One answer of Zenvia's API, in its envelope."""
    return (
        status,
        {
            "status": status,
            "sucesso": True,
            "motivo": 0,
            "mensagem": "dados retornados com sucesso",
            "dados": dados,
        },
    )


@tagged("post_install", "-at_install")
class TestZenviaVoice(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "Zenvia",
                "code": "zenvia_voice",
                "state": "enabled",
                "zenvia_access_token": "zenvia-token",
                "zenvia_caller_id": "+551140040000",
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Maria da Silva"})
        cls.Message = cls.env["collection.provider.message"]

    def setUp(self):
        super().setUp()
        self.server = self.enterContext(FakeServer())
        self.enterContext(only_local_network())
        self.env["ir.config_parameter"].set_param(
            "collection_ruler.zenvia_voice_url", self.server.url
        )

    def _call(self, **payload):
        return self.Message.create(
            {
                "provider_id": self.provider.id,
                "partner_id": self.partner.id,
                "recipient": "+5511987654321",
                "payload": {
                    "to": "+5511987654321",
                    "text": "Olá, Maria.",
                    "language": "pt-BR",
                    "detect_machine": False,
                    **payload,
                },
            }
        )

    def _sent_call(self):
        self.server.script(zenvia({"id": CALL_ID}))
        message = self._call()
        self.Message._send_queue()
        self.assertEqual((message.state, message.provider_ref), ("sent", "4321"))
        self.server.requests.clear()
        return message

    def test_a_spoken_call_through_the_queue(self):
        message = self._sent_call()
        self.assertEqual(message.state, "sent")
        self.server.script(zenvia({"id": 99}))
        self._call(audio_url="https://odoo.example.com/a.mp3", detect_machine=True)
        self.Message._send_queue()
        (audio,) = self.server.requests
        self.assertEqual((audio["method"], audio["path"]), ("POST", "/audio"))
        self.assertEqual(audio["json"]["url_audio"], "https://odoo.example.com/a.mp3")
        self.assertIs(audio["json"]["detecta_caixa"], True)

    def test_the_tts_request(self):
        self.server.script(zenvia({"id": CALL_ID}))
        self._call()
        self.Message._send_queue()
        (request,) = self.server.requests
        self.assertEqual((request["method"], request["path"]), ("POST", "/tts"))
        self.assertEqual(request["headers"]["Access-Token"], "zenvia-token")
        body = request["json"]
        self.assertEqual(body["numero_destino"], "+5511987654321")
        self.assertEqual(body["mensagem"], "Olá, Maria.")
        self.assertEqual(body["tipo_voz"], "br-Vitoria")
        self.assertEqual(body["bina"], "+551140040000")
        self.assertIs(body["detecta_caixa"], False, "the message is left")

    def test_a_refusal_fails_the_call_with_zenvias_message(self):
        self.server.script(
            (
                200,
                {
                    "status": 400,
                    "sucesso": False,
                    "motivo": 11,
                    "mensagem": "numero_destino inválido",
                    "dados": None,
                },
            )
        )
        message = self._call()
        self.Message._send_queue()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.failure_reason, "numero_destino inválido (motivo 11)")

    def test_test_connection_names_the_account_or_says_what_failed(self):
        self.provider.state = "test"
        self.server.script(
            zenvia({"id": 1, "nome": "Padaria Central", "saldo": 950.64}),
            (
                200,
                {
                    "status": 403,
                    "sucesso": False,
                    "motivo": 3,
                    "mensagem": "Access-Token inválido",
                    "dados": None,
                },
            ),
        )
        action = self.provider.action_test_connection()
        self.assertEqual(
            action["params"]["message"], "Connected to Zenvia: Padaria Central."
        )
        (request,) = self.server.requests
        self.assertEqual((request["method"], request["path"]), ("GET", "/conta"))
        self.assertEqual(request["headers"]["Access-Token"], "zenvia-token")
        with self.assertRaisesRegex(
            UserError,
            r"^Zenvia refused the request: Access-Token inválido \(motivo 3\)$",
        ):
            self.provider.action_test_connection()
        url = refused_url()
        self.env["ir.config_parameter"].set_param(
            "collection_ruler.zenvia_voice_url", url
        )
        with self.assertRaisesRegex(
            UserError,
            rf"^Could not reach Zenvia \({url.removeprefix('http://')}\): check the "
            "network and try again.$",
        ):
            self.provider.action_test_connection()

    def _webhook(self, body, token=None):
        token = token or self.provider.zenvia_webhook_token
        return self.url_open(
            f"/collection_ruler/zenvia/{self.provider.id}/{token}",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )

    @mute_logger("odoo.addons.collection_ruler_voice.controllers.zenvia")
    def test_the_webhook_needs_the_secret_and_asks_zenvia(self):
        message = self._sent_call()
        self.assertTrue(
            self.provider.zenvia_webhook_url.endswith(
                f"/collection_ruler/zenvia/{self.provider.id}/"
                f"{self.provider.zenvia_webhook_token}"
            )
        )
        # The body says unanswered; Zenvia, asked, says answered.
        claim = {"id": CALL_ID, "status": "sem resposta"}
        self.assertEqual(self._webhook(claim, token="guessed").status_code, 403)
        self.assertFalse(self.server.requests, "nothing asked, nothing applied")
        self.assertEqual(message.state, "sent")
        self.server.script(
            zenvia({"id": CALL_ID, "status": "atendida", "duracao_falada_segundos": 25})
        )
        self.assertEqual(self._webhook(claim).status_code, 200)
        (poll,) = self.server.requests
        self.assertEqual((poll["method"], poll["path"]), ("GET", "/tts/4321"))
        self.assertEqual(
            (message.state, message.call_status, message.call_duration),
            ("delivered", "completed", 25),
        )
        self.assertEqual(self._webhook(claim).status_code, 200, "a duplicate")
        self.assertEqual(
            len(self.server.requests), 1, "a final call is not asked again"
        )

    def test_unreported_calls_are_polled(self):
        with freeze_time(day(0)):
            ringing = self._sent_call()
            self.server.script(zenvia({"id": 77}))
            unanswered = self._call()
            self.Message._send_queue()
            self.server.requests.clear()
            self.Message._zenvia_poll_pending()
            self.assertFalse(self.server.requests, "too early")
        self.server.script(
            zenvia({"id": CALL_ID, "status": "chamando"}),
            zenvia({"id": 77, "status": "sem resposta"}),
        )
        with freeze_time(day(0) + timedelta(minutes=5)):
            self.Message._cron_send()
        self.assertEqual(len(self.server.requests), 2)
        self.assertEqual(ringing.state, "sent", "still ringing: asked again later")
        self.assertEqual(
            (unanswered.state, unanswered.failure_reason), ("failed", "No Answer")
        )

    def test_a_recording_is_served_through_its_link_only(self):
        ruler = self.env["collection.ruler"].create(
            {
                "name": "Recorded message",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Recording",
                            "channel": "voice",
                            "offset_days": 3,
                            "voice_source": "audio",
                            "voice_audio": base64.b64encode(MP3),
                            "voice_audio_filename": "aviso.mp3",
                        }
                    )
                ],
            }
        )
        step = ruler.step_ids
        Voice = self.env["collection.channel.voice"]
        url = Voice._get_audio_url(step)
        path = url[len(step.get_base_url()) :]
        response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, MP3)
        self.assertEqual(response.headers["Content-Type"], "audio/mpeg")
        self.assertEqual(
            self.url_open(f"/collection_ruler/voice/{step.id}/forged.mp3").status_code,
            404,
        )
        step.voice_audio = base64.b64encode(MP3 + b" v2")
        self.assertEqual(self.url_open(path).status_code, 404, "an old file's link")
        self.assertEqual(
            self.url_open(
                Voice._get_audio_url(step)[len(step.get_base_url()) :]
            ).content,
            MP3 + b" v2",
        )
