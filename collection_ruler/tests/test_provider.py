"""Providers and their queue: test mode, errors, retries, statuses, crashes.

The WhatsApp Cloud API is a fake server on 127.0.0.1; a socket guard fails
any test that would reach anything else.
"""

import re
from datetime import datetime, timedelta
from unittest.mock import patch

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..models.collection_provider_message import SENDING_GRACE
from ..tools import whatsapp_cloud
from .common import SimulatedCrash
from .fake_servers import FakeServer, only_local_network, refused_url

NOW = datetime(2026, 3, 10, 12, 0)
WAMID = "wamid.HBgNNTUxMTk4NzY1NDMyMRUCABEYEjQ1"


@tagged("post_install", "-at_install")
class TestProviderQueue(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "WhatsApp",
                "code": "whatsapp_cloud",
                "state": "enabled",
                "whatsapp_phone_number_id": "106540352242922",
                "whatsapp_access_token": "EAAtoken",
            }
        )
        cls.partner = cls.env["res.partner"].create({"name": "Padaria Pão Quente"})
        cls.Message = cls.env["collection.provider.message"]

    def setUp(self):
        super().setUp()
        self.server = self.enterContext(FakeServer())
        self.enterContext(only_local_network())
        self.env["ir.config_parameter"].set_param(
            "collection_ruler.whatsapp_cloud_url", self.server.url
        )
        self.enterContext(freeze_time(NOW))

    def _queue(self, provider=None):
        message = self.Message.create(
            {
                "provider_id": (provider or self.provider).id,
                "partner_id": self.partner.id,
                "recipient": "5511987654321",
            }
        )
        message.payload = whatsapp_cloud.template_payload(
            message.recipient,
            "fatura_vencida",
            "pt_BR",
            ["Padaria Pão Quente", "R$ 1.234,50", "05/03/2026"],
            message.idempotency_key,
        )
        return message

    def test_a_template_message_is_sent_with_its_key(self):
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        message = self._queue()
        self.assertEqual(message.state, "queued")
        self.Message._send_queue()
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.provider_ref, WAMID)
        self.assertEqual(message.sent_at, NOW)
        (request,) = self.server.requests
        self.assertEqual(request["path"], "/v21.0/106540352242922/messages")
        self.assertEqual(request["headers"]["Authorization"], "Bearer EAAtoken")
        body = request["json"]
        self.assertEqual(body["to"], "5511987654321")
        self.assertEqual(body["type"], "template")
        self.assertEqual(body["template"]["name"], "fatura_vencida")
        self.assertEqual(body["template"]["language"], {"code": "pt_BR"})
        self.assertEqual(
            [p["text"] for p in body["template"]["components"][0]["parameters"]],
            ["Padaria Pão Quente", "R$ 1.234,50", "05/03/2026"],
        )
        self.assertEqual(body["biz_opaque_callback_data"], message.idempotency_key)
        self.Message._send_queue()
        self.assertEqual(len(self.server.requests), 1, "sent once")

    def test_test_mode_records_and_simulates_delivery(self):
        self.provider.state = "test"
        message = self._queue()
        self.Message._send_queue()
        self.assertEqual(message.state, "delivered")
        self.assertEqual(message.provider_ref, f"test-{message.idempotency_key}")
        self.assertEqual((message.sent_at, message.delivered_at), (NOW, NOW))
        self.assertFalse(self.server.requests, "nothing leaves Odoo")

    def test_a_disabled_provider_fails_its_messages(self):
        self.provider.state = "disabled"
        message = self._queue()
        self.Message._send_queue()
        self.assertEqual(message.state, "failed")
        self.assertEqual(message.failure_reason, "The provider WhatsApp is disabled.")
        self.assertFalse(self.server.requests)

    def test_a_429_is_retried_then_sent(self):
        self.server.script(
            (429, {"error": {"message": "(#130429) Rate limit hit", "code": 130429}}),
            (200, {"messages": [{"id": WAMID}]}),
        )
        message = self._queue()
        self.Message._send_queue()
        self.assertEqual(message.state, "queued")
        self.assertEqual(message.failure_reason, "HTTP 429: (#130429) Rate limit hit")
        self.assertEqual(message.next_attempt_at, NOW + timedelta(minutes=5))
        self.Message._send_queue()
        self.assertEqual(len(self.server.requests), 1, "not before its time")
        with freeze_time(NOW + timedelta(minutes=5)):
            self.Message._send_queue()
        self.assertEqual(message.state, "sent")
        self.assertFalse(message.failure_reason)
        self.assertEqual(message.attempt_count, 2)

    def test_a_400_fails_with_meta_message(self):
        error = {
            "message": "(#131030) Recipient phone number not in allowed list",
            "code": 131030,
            "error_data": {"details": "Add recipient phone number to recipient list"},
        }
        self.server.script((400, {"error": error}))
        message = self._queue()
        self.Message._send_queue()
        self.assertEqual(message.state, "failed")
        self.assertEqual(
            message.failure_reason,
            "(#131030) Recipient phone number not in allowed list: "
            "Add recipient phone number to recipient list",
        )

    def test_a_dropped_connection_is_transient_and_gives_up_in_the_end(self):
        """Timeouts and connection errors take the same path; Odoo's test
        harness raises any timeout under 10 s to 10 s, so the fake server
        hangs up instead of waiting."""
        self.server.script((None, None))
        message = self._queue()
        when = NOW
        for attempt in range(1, 7):
            with freeze_time(when):
                self.Message._send_queue()
            self.assertEqual(message.attempt_count, attempt)
            if attempt < 6:
                self.assertEqual(message.state, "queued")
                self.assertIn("ConnectionError", message.failure_reason)
                self.assertEqual(
                    message.next_attempt_at - when,
                    timedelta(minutes=5 * 2 ** (attempt - 1)),
                )
                when = message.next_attempt_at
        self.assertEqual(message.state, "failed")
        self.assertIn("gave up after 6 attempts", message.failure_reason)
        self.assertEqual(len(self.server.requests), 6)

    def test_statuses_in_any_order_never_go_back(self):
        message = self._queue()
        message.write({"state": "sent", "provider_ref": WAMID, "sent_at": NOW})
        later = NOW + timedelta(minutes=1)
        message._apply_status("read", later + timedelta(minutes=1))
        message._apply_status("delivered", later)
        message._apply_status("delivered", later)  # a duplicate webhook
        self.assertEqual(message.state, "read")
        self.assertEqual(message.delivered_at, later + timedelta(minutes=1))
        message._apply_status("failed", later, reason="(#131047) Re-engagement")
        self.assertEqual(message.state, "read", "a read message did not fail")

        lost = self._queue()
        lost.write({"state": "sent", "provider_ref": "wamid.2", "sent_at": NOW})
        lost._apply_status("failed", later, reason="(#131026) Message undeliverable")
        self.assertEqual(lost.state, "failed")
        self.assertEqual(lost.failure_reason, "(#131026) Message undeliverable")

    def test_a_crash_before_the_request_sends_once_after_the_grace(self):
        """Killed after the message was committed as sending, before the
        request: the service never got it, and it goes out once, later."""
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        message = self._queue()
        message.write({"state": "sending", "sending_since": NOW, "attempt_count": 1})
        self.Message._send_queue()
        self.assertFalse(self.server.requests, "another worker may be sending it")
        with freeze_time(NOW + SENDING_GRACE):
            self.Message._send_queue()
            self.Message._send_queue()
        self.assertEqual(len(self.server.requests), 1)
        self.assertEqual(message.state, "sent")
        self.assertEqual(message.attempt_count, 2)

    def test_a_crash_after_the_answer_never_sends_twice(self):
        """Killed between the service's answer and the commit: the status
        webhook finds the message by its key, and it is not sent again."""
        self.server.script((200, {"messages": [{"id": WAMID}]}))
        message = self._queue()
        send = whatsapp_cloud.WhatsAppCloud.send

        def answered_then_killed(client, payload):
            send(client, payload)
            raise SimulatedCrash

        # Not assertRaises, whose savepoint would undo what was committed.
        crashed = False
        with patch.object(whatsapp_cloud.WhatsAppCloud, "send", answered_then_killed):
            try:
                self.Message._send_queue()
            except SimulatedCrash:
                crashed = True
        self.assertTrue(crashed)
        self.assertEqual(message.state, "sending")
        self.assertFalse(message.provider_ref, "the answer was lost")
        status_at = NOW + timedelta(seconds=3)
        found = self.Message._find(self.provider, key=message.idempotency_key)
        found._apply_status("sent", status_at, reference=WAMID)
        self.assertEqual(found, message)
        self.assertEqual((message.state, message.provider_ref), ("sent", WAMID))
        with freeze_time(NOW + 2 * SENDING_GRACE):
            self.Message._send_queue()
        self.assertEqual(len(self.server.requests), 1, "never sent twice")

    def test_credentials_are_for_administrators_only(self):
        manager = new_test_user(
            self.env,
            login="collection_manager",
            groups="base.group_user,collection_ruler.group_collection_manager",
        )
        provider = self.provider.with_user(manager)
        self.assertEqual(provider.name, "WhatsApp")
        with self.assertRaises(AccessError):
            provider.read(["whatsapp_access_token"])
        with self.assertRaises(AccessError):
            provider.write({"state": "disabled"})


def button_visible(view, name, **record):
    """Whether the header button ``name`` of ``view`` shows for ``record``."""
    (button,) = etree.fromstring(view.arch).xpath(f"//button[@name='{name}']")
    return not safe_eval(button.get("invisible") or "False", record)


@tagged("post_install", "-at_install")
class TestProviderConnection(TransactionCase):
    """Test Connection and Sync Templates, as a person presses them: a one-line
    error they can read, never a traceback, and in test mode too."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.provider = cls.env["collection.provider"].create(
            {
                "name": "WhatsApp",
                "code": "whatsapp_cloud",
                "state": "test",
                "whatsapp_phone_number_id": "106540352242922",
                "whatsapp_account_id": "102290129340398",
                "whatsapp_access_token": "EAAtoken",
            }
        )

    def setUp(self):
        super().setUp()
        self.server = self.enterContext(FakeServer())
        self.enterContext(only_local_network())
        self._point_at(self.server.url)

    def _point_at(self, url):
        self.env["ir.config_parameter"].set_param(
            "collection_ruler.whatsapp_cloud_url", url
        )

    def test_test_connection_and_sync_work_in_test_mode(self):
        view = self.env.ref("collection_ruler.collection_provider_view_form")
        for name in ("action_sync_templates", "action_test_connection"):
            self.assertTrue(
                button_visible(view, name, code="whatsapp_cloud", state="test"), name
            )
        self.server.script(
            (
                200,
                {
                    "display_phone_number": "+55 11 4004-0000",
                    "verified_name": "Padaria Central",
                    "id": "106540352242922",
                },
            )
        )
        action = self.provider.action_test_connection()
        self.assertEqual(
            action["params"],
            {
                "type": "success",
                "message": "Connected to Meta: +55 11 4004-0000 (Padaria Central).",
                "sticky": False,
            },
        )
        (request,) = self.server.requests
        self.assertEqual(request["path"].split("?")[0], "/v21.0/106540352242922")
        self.assertIn("fields=display_phone_number", request["path"])
        self.assertEqual(request["headers"]["Authorization"], "Bearer EAAtoken")
        self.server.script(
            (
                200,
                {
                    "data": [
                        {
                            "name": "fatura_vencida",
                            "language": "pt_BR",
                            "status": "APPROVED",
                            "category": "UTILITY",
                            "components": [{"type": "BODY", "text": "Olá, {{1}}."}],
                        }
                    ]
                },
            )
        )
        action = self.provider.action_sync_templates()
        self.assertEqual(action["params"]["message"], "1 templates synced.")
        self.assertEqual(self.provider.whatsapp_template_ids.name, "fatura_vencida")
        self.assertEqual(self.provider.state, "test")

    def test_meta_out_of_reach_is_one_line_to_read(self):
        self.provider.state = "enabled"
        url = refused_url()
        self._point_at(url)
        host = url.removeprefix("http://")
        expected = f"Could not reach Meta ({host}): check the network and try again."
        with self.assertRaisesRegex(UserError, f"^{re.escape(expected)}$"):
            self.provider.action_sync_templates()
        with self.assertRaisesRegex(UserError, f"^{re.escape(expected)}$"):
            self.provider.action_test_connection()
        self.assertFalse(self.provider.whatsapp_template_ids)

    def test_meta_refusal_and_missing_credentials_are_readable(self):
        error = {"message": "Invalid OAuth access token.", "code": 190}
        self.server.script((401, {"error": error}))
        with self.assertRaisesRegex(
            UserError, r"^Meta refused the request: Invalid OAuth access token\.$"
        ):
            self.provider.action_test_connection()
        self.server.script((503, {"error": {"message": "Service unavailable"}}))
        with self.assertRaisesRegex(
            UserError, r"^Meta could not answer right now \(HTTP 503: Service"
        ):
            self.provider.action_sync_templates()
        requests = len(self.server.requests)
        self.provider.whatsapp_access_token = False
        with self.assertRaisesRegex(
            UserError, "Fill in Access Token on the Credentials tab first"
        ):
            self.provider.action_test_connection()
        with self.assertRaisesRegex(
            UserError, "Fill in Access Token on the Credentials tab first"
        ):
            self.provider.action_sync_templates()
        self.assertEqual(len(self.server.requests), requests, "nothing asked")

    def test_every_provider_has_test_connection(self):
        view = self.env.ref("collection_ruler.collection_provider_view_form")
        codes = self.env["collection.provider"]._fields["code"].get_values(self.env)
        # Every provider a module adds, WhatsApp's at least.
        self.assertIn("whatsapp_cloud", codes)
        for code in codes:
            provider = self.provider.new({"code": code, "name": code})
            self.assertTrue(hasattr(provider, f"_{code}_test_connection"), code)
            self.assertTrue(hasattr(provider, f"_{code}_service_name"), code)
            for state in ("disabled", "test", "enabled"):
                self.assertTrue(
                    button_visible(
                        view, "action_test_connection", code=code, state=state
                    ),
                    (code, state),
                )
