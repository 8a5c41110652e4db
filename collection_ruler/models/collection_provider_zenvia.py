import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import consteq

from ..tools import zenvia_voice
from ..tools.provider_http import ProviderError, ProviderTransientError

# A call is polled for its outcome from this long after it was placed...
POLL_AFTER = timedelta(minutes=2)
# ...until this long after: then nobody will report it any more.
POLL_UNTIL = timedelta(days=2)


class CollectionProvider(models.Model):
    """Zenvia Voice (formerly TotalVoice): recorded calls, spoken from the
    step's text or played from its audio file.

    Zenvia signs nothing and has no callback per call: the account's "TTS
    Fim" and "Áudio Fim" webhooks post every finished call to one URL. That
    URL carries a secret token of this provider, and the controller trusts
    only the call id of what it receives: it asks Zenvia for the call's
    status itself. Calls nobody reported are polled by the queue's cron.
    """

    _inherit = "collection.provider"  # pylint: disable=consider-merging-classes-inherited

    code = fields.Selection(
        selection_add=[("zenvia_voice", "Zenvia Voice")],
        ondelete={"zenvia_voice": "cascade"},
    )
    zenvia_access_token = fields.Char(
        groups="base.group_system",
        copy=False,
        help="In Zenvia Voice's panel, the account's API token.",
    )
    zenvia_caller_id = fields.Char(
        string="Zenvia Caller Number",
        groups="base.group_system",
        help="The number the customer sees (Zenvia's 'bina'), when the "
        "account has one, in E.164 (+55...).",
    )
    zenvia_webhook_token = fields.Char(
        string="Zenvia Webhook Secret",
        groups="base.group_system",
        copy=False,
        readonly=True,
        default=lambda self: secrets.token_urlsafe(24),
        help="Part of the webhook URL: only Zenvia, given that URL, knows it.",
    )
    zenvia_webhook_url = fields.Char(
        string="Zenvia Webhook URL",
        compute="_compute_zenvia_webhook_url",
        groups="base.group_system",
        help="Set it as the 'TTS Fim' and 'Áudio Fim' webhooks in Zenvia "
        "Voice's panel.",
    )

    @api.depends("zenvia_webhook_token", "code")
    def _compute_zenvia_webhook_url(self):
        for provider in self:
            provider.zenvia_webhook_url = provider.id and (
                f"{provider.get_base_url()}/collection_ruler/zenvia/"
                f"{provider.id}/{provider.zenvia_webhook_token}"
            )

    @api.constrains("zenvia_caller_id")
    def _check_zenvia_caller_id(self):
        self._check_phone_numbers(["zenvia_caller_id"])

    def _zenvia_voice_default_url(self):
        return zenvia_voice.API_URL

    def _zenvia_voice_service_name(self):
        return "Zenvia"

    def _zenvia_voice_test_connection(self):
        self._check_credentials(["zenvia_access_token"])
        return self._zenvia_client().get_account().get("nome") or self.name

    def _zenvia_client(self):
        return zenvia_voice.ZenviaVoice(
            self.sudo().zenvia_access_token, self._get_url()
        )

    def _zenvia_voice_send(self, message):
        payload = message.payload or {}
        client = self._zenvia_client()
        options = {
            "detect_machine": payload.get("detect_machine", True),
            "caller_id": self.zenvia_caller_id,
        }
        if payload.get("audio_url"):
            return client.create_audio_call(
                payload["to"], payload["audio_url"], **options
            )
        return client.create_tts_call(
            payload["to"], payload.get("text") or "", **options
        )

    def _zenvia_parse_callback(self, data):
        """The call a webhook's body is about, as ``zenvia_voice.normalise``
        gives it. :raises ValueError: not a call object"""
        return zenvia_voice.parse_callback(data)

    def _zenvia_check_token(self, token):
        self.ensure_one()
        expected = self.sudo().zenvia_webhook_token
        return bool(expected and token) and consteq(expected, token)

    def _zenvia_poll(self, messages):
        """Ask Zenvia how ``messages`` ended, and record it.

        A call still ringing is left for the next poll; a passing failure
        too. The answer, not what a webhook said, is what counts.
        """
        self.ensure_one()
        client = self._zenvia_client()
        Voice = self.env["collection.channel.voice"]
        for message in messages:
            kind = "audio" if (message.payload or {}).get("audio_url") else "tts"
            try:
                call = client.get_call(message.provider_ref, kind=kind)
            except (ProviderTransientError, ProviderError):
                continue
            if call["status"]:
                Voice._apply_call_result(
                    message,
                    call["status"],
                    duration=call["duration"],
                    answered_by=call["answered_by"],
                )


class CollectionProviderMessage(models.Model):
    _inherit = "collection.provider.message"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _cron_send(self):
        res = super()._cron_send()
        self._zenvia_poll_pending()
        return res

    @api.model
    def _zenvia_poll_pending(self):
        """Poll the Zenvia calls placed a while ago that nobody reported."""
        now = fields.Datetime.now()
        pending = self.sudo().search(
            [
                ("provider_id.code", "=", "zenvia_voice"),
                ("provider_id.state", "=", "enabled"),
                ("state", "=", "sent"),
                ("provider_ref", "!=", False),
                ("sent_at", "<=", now - POLL_AFTER),
                ("sent_at", ">=", now - POLL_UNTIL),
            ],
            order="id",
        )
        for provider, messages in pending.grouped("provider_id").items():
            provider.with_context(
                lang=provider.company_id._collection_get_lang()
            )._zenvia_poll(messages)
