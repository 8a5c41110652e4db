from odoo import api, fields, models

from ..tools import twilio_voice

# Twilio's voices for the languages a script is spoken in.
VOICES = {"pt-BR": ("pt-BR", "Polly.Camila"), "en-US": ("en-US", "Polly.Joanna")}


class CollectionProvider(models.Model):
    """Twilio Programmable Voice: calls that play a recorded message, and
    their signed status callbacks (``controllers/twilio.py``)."""

    _inherit = "collection.provider"  # pylint: disable=consider-merging-classes-inherited

    code = fields.Selection(
        selection_add=[("twilio_voice", "Twilio Voice")],
        ondelete={"twilio_voice": "cascade"},
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


class CollectionProviderMessage(models.Model):
    _inherit = "collection.provider.message"  # pylint: disable=consider-merging-classes-inherited

    call_status = fields.Selection(
        selection=[
            ("queued", "Queued"),
            ("ringing", "Ringing"),
            ("in-progress", "In Progress"),
            ("completed", "Answered"),
            ("busy", "Busy"),
            ("no-answer", "No Answer"),
            ("failed", "Call Failed"),
            ("canceled", "Cancelled"),
        ],
        readonly=True,
    )
    call_duration = fields.Integer(string="Call Duration (s)", readonly=True)
    call_answered_by = fields.Char(
        string="Answered By",
        readonly=True,
        help="Twilio's answering machine detection: human, machine_start...",
    )
