from datetime import timedelta

from odoo import api, fields, models

# A call is polled for its outcome from this long after it was placed...
POLL_AFTER = timedelta(minutes=2)
# ...until this long after: then nobody will report it any more.
POLL_UNTIL = timedelta(days=2)


class CollectionProviderMessage(models.Model):
    _inherit = "collection.provider.message"

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

    # ----------------------------------------------------------------------
    # Zenvia Voice
    # ----------------------------------------------------------------------

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
