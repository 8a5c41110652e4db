import secrets

from odoo import api, fields, models
from odoo.tools import consteq

from odoo.addons.base.models.ir_model import MODULE_UNINSTALL_FLAG
from odoo.addons.collection_ruler.tools.provider_http import (
    ProviderError,
    ProviderTransientError,
)

from ..tools import twilio_voice, zenvia_voice
from .collection_channel_voice import VOICE_PROVIDERS

# Twilio's voices for the languages a script is spoken in.
VOICES = {"pt-BR": ("pt-BR", "Polly.Camila"), "en-US": ("en-US", "Polly.Joanna")}


class CollectionProvider(models.Model):
    """Twilio Programmable Voice: calls that play a recorded message, and
    their signed status callbacks (``controllers/twilio.py``)."""

    _inherit = "collection.provider"

    code = fields.Selection(
        selection_add=[
            ("twilio_voice", "Twilio Voice"),
            ("zenvia_voice", "Zenvia Voice"),
        ],
        ondelete={
            "twilio_voice": lambda providers: providers._unlink_with_messages(),
            "zenvia_voice": lambda providers: providers._unlink_with_messages(),
        },
    )
    twilio_account_sid = fields.Char(
        string="Account SID",
        groups="base.group_system",
        help="In Twilio's console, Account Info.",
    )
    twilio_auth_token = fields.Char(
        string="Auth Token",
        groups="base.group_system",
        copy=False,
        help="In Twilio's console, Account Info. It also signs Twilio's callbacks.",
    )
    twilio_from_number = fields.Char(
        string="Caller Number",
        groups="base.group_system",
        help="A Twilio number able to call Brazil, in E.164 (+55...).",
    )

    @api.constrains("twilio_from_number")
    def _check_twilio_from_number(self):
        self._check_phone_numbers(["twilio_from_number"])

    def _twilio_voice_default_url(self):
        return twilio_voice.API_URL

    def _twilio_voice_service_name(self):
        return "Twilio"

    def _twilio_voice_test_connection(self):
        self._check_credentials(["twilio_account_sid", "twilio_auth_token"])
        client = twilio_voice.TwilioVoice(
            self.twilio_account_sid, self.twilio_auth_token, self._get_url()
        )
        return client.get_account().get("friendly_name") or self.twilio_account_sid

    def _twilio_voice_send(self, message):
        client = twilio_voice.TwilioVoice(
            self.twilio_account_sid, self.twilio_auth_token, self._get_url()
        )
        payload = message.payload or {}
        language, voice = VOICES.get(payload.get("language"), VOICES["pt-BR"])
        return client.create_call(
            {
                "To": payload["to"],
                "From": self.twilio_from_number,
                "Twiml": twilio_voice.twiml(
                    say=payload.get("text"),
                    language=language,
                    voice=voice,
                    play_url=payload.get("audio_url"),
                ),
                # Tells a person from a machine: the step decides what a
                # machine counts as (``_apply_call_result``).
                "MachineDetection": "Enable",
                "StatusCallback": self._twilio_voice_status_url(),
                "StatusCallbackMethod": "POST",
            }
        )

    def _twilio_voice_status_url(self):
        """The public URL Twilio posts a call's final status to."""
        self.ensure_one()
        return f"{self.get_base_url()}/collection_ruler/twilio/{self.id}/status"

    def _twilio_voice_check_signature(self, url, params, header):
        self.ensure_one()
        return twilio_voice.check_signature(
            self.sudo().twilio_auth_token, url, params, header
        )

    def _twilio_voice_apply_status(self, params):
        """A call's status: answered is delivered, with its duration; busy,
        no answer, failed or cancelled fails the message with that status."""
        self.ensure_one()
        message = (
            self.env["collection.provider.message"]
            .sudo()
            ._find(self, reference=params.get("CallSid"))
        )
        status = params.get("CallStatus")
        if not message or not status:
            return
        duration = params.get("CallDuration", "")
        self.env["collection.channel.voice"]._apply_call_result(
            message,
            status,
            duration=int(duration) if duration.isdigit() else None,
            answered_by=params.get("AnsweredBy"),
        )

    def unlink(self):
        if self.env.context.get(MODULE_UNINSTALL_FLAG):
            # Uninstalling the module (its demo provider, say): the provider
            # goes with the messages it carried, which otherwise keep a
            # provider from being deleted.
            self.filtered(
                lambda p: p.code in VOICE_PROVIDERS
            ).sudo().message_ids.unlink()
        return super().unlink()

    def _unlink_with_messages(self):
        """Uninstalling the module: its providers go, with the messages they
        carried; the events keep their outcome and their evidence."""
        self.sudo().with_context(**{MODULE_UNINSTALL_FLAG: True}).unlink()

    # ----------------------------------------------------------------------
    # Zenvia Voice
    # ----------------------------------------------------------------------

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
