import hashlib
import hmac
import logging
from datetime import UTC, datetime

from markupsafe import Markup

from odoo import fields, models

from ..tools import whatsapp_cloud

_logger = logging.getLogger(__name__)


def _when(timestamp):
    """A webhook's Unix timestamp as a naive UTC datetime, as Odoo stores."""
    try:
        return datetime.fromtimestamp(int(timestamp), UTC).replace(tzinfo=None)
    except (TypeError, ValueError):
        return fields.Datetime.now()


def _error_reason(errors):
    """Meta's first error of a failed status, as one line."""
    if not errors:
        return ""
    error = errors[0]
    details = (error.get("error_data") or {}).get("details")
    reason = f"({error.get('code')}) {error.get('title') or error.get('message')}"
    return f"{reason}: {details}" if details else reason


def _inbound_text(message):
    """What a customer wrote or tapped: text, a quick-reply button, or an
    interactive reply."""
    kind = message.get("type")
    if kind == "text":
        return (message.get("text") or {}).get("body") or ""
    if kind == "button":
        return (message.get("button") or {}).get("text") or ""
    if kind == "interactive":
        reply = message.get("interactive") or {}
        reply = reply.get("button_reply") or reply.get("list_reply") or {}
        return reply.get("title") or ""
    return ""


class CollectionProvider(models.Model):
    """WhatsApp Cloud API webhooks: the handshake, the signature, statuses
    and the customers' replies (``controllers/whatsapp.py`` routes them)."""

    _inherit = "collection.provider"  # pylint: disable=consider-merging-classes-inherited

    code = fields.Selection(
        selection_add=[("whatsapp_cloud", "WhatsApp Cloud API (Meta)")],
        ondelete={"whatsapp_cloud": "cascade"},
        default="whatsapp_cloud",
    )
    whatsapp_phone_number_id = fields.Char(
        string="Phone Number ID",
        groups="base.group_system",
        help="Meta's id of the business phone number that sends the messages "
        "(WhatsApp Manager, API Setup).",
    )
    whatsapp_account_id = fields.Char(
        string="WhatsApp Business Account ID",
        groups="base.group_system",
        help="Meta's id of the business account whose templates steps use.",
    )
    whatsapp_access_token = fields.Char(
        string="Access Token",
        groups="base.group_system",
        copy=False,
        help="A system user's permanent token with the whatsapp_business_messaging "
        "and whatsapp_business_management permissions.",
    )
    whatsapp_app_secret = fields.Char(
        string="App Secret",
        groups="base.group_system",
        copy=False,
        help="The Meta app's secret, which signs the webhooks Odoo receives.",
    )
    whatsapp_verify_token = fields.Char(
        string="Webhook Verify Token",
        groups="base.group_system",
        copy=False,
        help="Any secret text, entered in Meta's webhook settings too.",
    )

    whatsapp_opt_out_keywords = fields.Char(
        string="Opt-out Keywords",
        default="SAIR, PARE, STOP",
        help="A customer who replies one of these words, separated by commas, "
        "is never messaged on WhatsApp again.",
    )

    whatsapp_template_ids = fields.One2many(
        comodel_name="collection.whatsapp.template",
        inverse_name="provider_id",
        string="WhatsApp Templates",
    )
    whatsapp_webhook_url = fields.Char(
        string="Webhook URL",
        compute="_compute_whatsapp_webhook_url",
        help="The callback URL to enter in the Meta app's WhatsApp webhook "
        "settings, subscribed to the messages field.",
    )

    def _compute_whatsapp_webhook_url(self):
        for provider in self:
            provider.whatsapp_webhook_url = (
                f"{provider.get_base_url()}/collection_ruler/whatsapp/{provider.id}"
                if provider.id
                else False
            )

    def action_sync_templates(self):
        """Fetch the business account's templates, with their status (in
        test mode too: it sends nothing).

        :raises UserError: a missing credential, or Meta's error, readable
        """
        self.ensure_one()
        provider = self.sudo()
        provider._check_credentials(["whatsapp_account_id", "whatsapp_access_token"])
        with provider._readable_errors():
            count = self.env["collection.whatsapp.template"].sudo()._sync(provider)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("%(count)s templates synced.", count=count),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _whatsapp_cloud_verify_token(self, mode, token):
        """The GET handshake: Meta subscribes with the verify token."""
        self.ensure_one()
        expected = self.sudo().whatsapp_verify_token or ""
        return (
            mode == "subscribe"
            and bool(expected)
            and hmac.compare_digest(expected.encode(), (token or "").encode())
        )

    def _whatsapp_cloud_check_signature(self, body, header):
        """``X-Hub-Signature-256``: HMAC-SHA256 of the raw body, app secret."""
        self.ensure_one()
        secret = self.sudo().whatsapp_app_secret
        if not secret or not header or not header.startswith("sha256="):
            return False
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, header.removeprefix("sha256="))

    def _whatsapp_cloud_handle(self, payload):
        """Apply a verified webhook: statuses first, then inbound messages."""
        self.ensure_one()
        for entry in payload.get("entry") or []:
            for change in entry.get("changes") or []:
                value = change.get("value") or {}
                for status in value.get("statuses") or []:
                    self._whatsapp_cloud_apply_status(status)
                for message in value.get("messages") or []:
                    self._whatsapp_cloud_receive(message)

    def _whatsapp_cloud_apply_status(self, status):
        messages = self.env["collection.provider.message"].sudo()
        found = messages._find(
            self, reference=status.get("id"), key=status.get("biz_opaque_callback_data")
        )
        if not found:
            _logger.info("WhatsApp status for an unknown message %s", status.get("id"))
            return
        found._apply_status(
            status.get("status"),
            _when(status.get("timestamp")),
            reference=status.get("id"),
            reason=_error_reason(status.get("errors")),
        )

    def _get_opt_out_keywords(self):
        words = (self.whatsapp_opt_out_keywords or "").split(",")
        return {word.strip().casefold() for word in words if word.strip()}

    def _whatsapp_cloud_receive(self, message):
        """A customer's reply: opt them out on a keyword, and post it on
        their open invoice, or else on the partner; once per message id."""
        Message = self.env["mail.message"].sudo()
        message_id = f"<whatsapp-{message.get('id')}@collection_ruler>"
        if Message.search_count([("message_id", "=", message_id)], limit=1):
            return  # a duplicate webhook
        text = _inbound_text(message)
        partners = (
            self.env["res.partner"]
            .sudo()
            ._collection_find_by_whatsapp(message.get("from"), self.company_id)
        )
        if not partners:
            _logger.info(
                "WhatsApp reply from an unknown number %s", message.get("from")
            )
            return
        if text.strip().casefold() in self._get_opt_out_keywords():
            partners._collection_whatsapp_opt_out(text.strip())
        invoice = (
            self.env["account.move"]
            .sudo()
            .search(
                [
                    ("commercial_partner_id", "in", partners.commercial_partner_id.ids),
                    ("company_id", "=", self.company_id.id),
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "posted"),
                    ("payment_state", "in", ("not_paid", "partial")),
                ],
                order="invoice_date_due, id",
                limit=1,
            )
        )
        record = invoice or partners[:1]
        record.message_post(
            body=Markup("<p>%s</p><p>%s</p>")
            % (self.env._("WhatsApp reply:"), text or message.get("type")),
            author_id=partners[:1].id,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            message_id=message_id,
        )

    def _whatsapp_cloud_default_url(self):
        return whatsapp_cloud.GRAPH_URL

    def _whatsapp_cloud_service_name(self):
        return "Meta"

    def _whatsapp_cloud_send(self, message):
        client = whatsapp_cloud.WhatsAppCloud(
            self.whatsapp_phone_number_id, self.whatsapp_access_token, self._get_url()
        )
        return client.send(message.payload)

    def _whatsapp_cloud_test_connection(self):
        self._check_credentials(["whatsapp_phone_number_id", "whatsapp_access_token"])
        client = whatsapp_cloud.WhatsAppCloud(
            self.whatsapp_phone_number_id, self.whatsapp_access_token, self._get_url()
        )
        number = client.get_phone_number()
        display = number.get("display_phone_number") or self.whatsapp_phone_number_id
        name = number.get("verified_name")
        return f"{display} ({name})" if name else display
