from odoo import api, fields, models


class CollectionRulerStep(models.Model):
    _inherit = "collection.ruler.step"

    channel = fields.Selection(
        selection_add=[("voice", "Recorded Call")], ondelete={"voice": "cascade"}
    )
    voice_source = fields.Selection(
        selection=[("script", "Spoken text"), ("audio", "Audio file")],
        string="The Call Plays",
        default="script",
        help="Spoken text: the message below, read out in the customer's "
        "language. Audio file: a recording of your own, the same for everyone.",
    )
    voice_audio = fields.Binary(
        string="Recording",
        attachment=True,
        help="An MP3 file, 5 MB at most. The provider fetches it through a "
        "link that only works for this step's current file.",
    )
    voice_audio_filename = fields.Char(string="Recording File Name")
    voice_script = fields.Text(
        string="Spoken Message",
        translate=True,
        help="What the call says, in the customer's language. Placeholders as in "
        "email templates: {{ object.partner_id.name }}, "
        "{{ format_amount(object.collection_amount_due, object.currency_id) }}, "
        "{{ format_date(object.invoice_date_due) }}.",
    )
    voice_retry_count = fields.Integer(
        string="Call Retries",
        default=2,
        help="How many times an unanswered call is tried again.",
    )
    voice_retry_hours = fields.Integer(
        string="Hours Between Calls",
        default=2,
    )
    voice_machine = fields.Selection(
        selection=[
            ("leave", "Leave the message"),
            ("no_answer", "Treat as no answer"),
        ],
        string="Answering Machine",
        default="leave",
        help="What a call that reaches an answering machine counts as.",
    )

    @api.constrains(
        "voice_script",
        "voice_source",
        "voice_audio",
        "voice_audio_filename",
        "voice_retry_count",
        "voice_retry_hours",
    )
    def _check_voice_settings(self):
        self._check_channel_settings()
        self._check_collection_wording()
