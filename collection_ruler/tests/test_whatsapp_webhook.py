"""Meta's webhook, over HTTP: the handshake, signatures, statuses, replies."""

import hashlib
import hmac
import json
from datetime import datetime

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.res_partner_whatsapp import whatsapp_number_variants
from .common import CollectionRulerHttpCommon

SECRET = "app-secret-of-the-test"
WAMID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ1"
# 2026-03-10 12:00:00 UTC and a minute later.
T0, T1 = 1773144000, 1773144060


@tagged("post_install", "-at_install")
class TestWhatsAppWebhook(CollectionRulerHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "WhatsApp",
                "code": "whatsapp_cloud",
                "state": "enabled",
                "company_id": cls.company.id,
                "whatsapp_app_secret": SECRET,
                "whatsapp_verify_token": "verify-me",
            }
        )
        cls.url = f"/collection_ruler/whatsapp/{cls.provider.id}"
        cls.message = (
            cls.env["collection.provider.message"]
            .sudo()
            .create(
                {
                    "provider_id": cls.provider.id,
                    "partner_id": cls.customer.id,
                    "recipient": "5511987654321",
                    "state": "sent",
                    "provider_ref": WAMID,
                }
            )
        )

    def _post(self, payload, signature=None, secret=SECRET):
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if signature is None:
            digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            signature = f"sha256={digest}"
        if signature:
            headers["X-Hub-Signature-256"] = signature
        return self.url_open(self.url, data=body, headers=headers)

    def _statuses(self, *statuses):
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": "102290129340398",
                    "changes": [
                        {
                            "field": "messages",
                            "value": {
                                "messaging_product": "whatsapp",
                                "statuses": list(statuses),
                            },
                        }
                    ],
                }
            ],
        }

    def _inbound(self, message, number="551187654321"):
        payload = self._statuses()
        value = payload["entry"][0]["changes"][0]["value"]
        value.pop("statuses")
        value["contacts"] = [{"profile": {"name": "Padaria"}, "wa_id": number}]
        value["messages"] = [{"from": number, "timestamp": str(T0), **message}]
        return payload

    def test_the_handshake_needs_the_verify_token(self):
        params = "hub.mode=subscribe&hub.challenge=1158201444"
        answer = self.url_open(f"{self.url}?{params}&hub.verify_token=verify-me")
        self.assertEqual((answer.status_code, answer.text), (200, "1158201444"))
        answer = self.url_open(f"{self.url}?{params}&hub.verify_token=guess")
        self.assertEqual(answer.status_code, 403)
        answer = self.url_open(
            f"{self.url}?hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=verify-me"
        )
        self.assertEqual(answer.status_code, 403)

    @mute_logger("odoo.addons.collection_ruler.controllers.whatsapp")
    def test_a_bad_or_missing_signature_is_rejected(self):
        read = self._statuses({"id": WAMID, "status": "read", "timestamp": str(T0)})
        self.assertEqual(self._post(read, secret="not-the-secret").status_code, 403)
        self.assertEqual(self._post(read, signature="").status_code, 403)
        self.assertEqual(self._post(read, signature="sha256=00").status_code, 403)
        self.assertEqual(self.message.state, "sent", "nothing applied")
        self.assertEqual(self._post(read).status_code, 200)
        self.assertEqual(self.message.state, "read")

    def test_statuses_out_of_order_and_twice(self):
        read = {"id": WAMID, "status": "read", "timestamp": str(T1)}
        delivered = {"id": WAMID, "status": "delivered", "timestamp": str(T0)}
        self._post(self._statuses(read))
        self._post(self._statuses(delivered))
        self._post(self._statuses(delivered))
        self.message.invalidate_recordset()
        self.assertEqual(self.message.state, "read")
        self.assertEqual(self.message.read_at, datetime(2026, 3, 10, 12, 1))
        self.assertEqual(self.message.delivered_at, datetime(2026, 3, 10, 12, 1))

    def test_a_failed_status_keeps_meta_reason(self):
        failed = {
            "id": WAMID,
            "status": "failed",
            "timestamp": str(T0),
            "errors": [
                {
                    "code": 131026,
                    "title": "Message undeliverable",
                    "error_data": {"details": "The number is not on WhatsApp"},
                }
            ],
        }
        self._post(self._statuses(failed))
        self.assertEqual(self.message.state, "failed")
        self.assertEqual(
            self.message.failure_reason,
            "(131026) Message undeliverable: The number is not on WhatsApp",
        )

    def test_a_status_finds_a_message_whose_answer_was_lost(self):
        lost = self.message.copy({"state": "sending", "provider_ref": False})
        sent = {
            "id": "wamid.lost",
            "status": "sent",
            "timestamp": str(T0),
            "biz_opaque_callback_data": lost.idempotency_key,
        }
        self._post(self._statuses(sent))
        self.assertEqual((lost.state, lost.provider_ref), ("sent", "wamid.lost"))

    def test_an_opt_out_keyword_without_the_ninth_digit(self):
        move = self._create_invoice()
        self.customer.collection_whatsapp_opt_in = True
        self.assertTrue(self.customer.collection_whatsapp_opt_in_date)
        self._post(
            self._inbound(
                {"id": "wamid.in1", "type": "text", "text": {"body": " Sair "}}
            )
        )
        self.assertFalse(self.customer.collection_whatsapp_opt_in)
        self.assertTrue(self.customer.collection_whatsapp_opt_out_date)
        self.assertIn("Sair", self.customer.message_ids[0].body)
        self.assertIn("Opted out", self.customer.message_ids[0].body)
        self.assertIn("Sair", move.message_ids[0].body, "the reply is on the invoice")

    def test_a_quick_reply_button_is_posted_once(self):
        move = self._create_invoice()
        button = {
            "id": "wamid.in2",
            "type": "button",
            "button": {"payload": "PAID", "text": "Já paguei"},
        }
        self._post(self._inbound(button, number="5511987654321"))
        self._post(self._inbound(button, number="5511987654321"))
        replies = move.message_ids.filtered(lambda m: "Já paguei" in m.body)
        self.assertEqual(len(replies), 1, "a duplicate webhook posts nothing")
        self.assertEqual(replies.author_id, self.customer)
        self.assertFalse(self.customer.collection_whatsapp_opt_out_date)

    def test_brazilian_numbers_match_with_and_without_the_ninth_digit(self):
        both = {"+5511987654321", "+551187654321"}
        self.assertEqual(whatsapp_number_variants("551187654321"), both)
        self.assertEqual(whatsapp_number_variants("+55 (11) 98765-4321"), both)
        self.assertEqual(
            whatsapp_number_variants("551132654321"), {"+551132654321"}, "a landline"
        )
        self.assertEqual(whatsapp_number_variants("14155550123"), {"+14155550123"})
