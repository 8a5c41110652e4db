from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import consteq
from odoo.tools.misc import hmac

from odoo.addons.collection_ruler.models.collection_channel import Outcome

from ..tools import twilio_voice

# The providers that place recorded calls.
VOICE_PROVIDERS = ("twilio_voice", "zenvia_voice")
# The languages a script is spoken in; others are spoken in English.
SPOKEN = {"pt": "pt-BR", "en": "en-US"}


class CollectionChannelVoice(models.AbstractModel):
    """Recorded call: a call that speaks the step's message, placed through
    the company's voice provider after the run commits.

    The event is done once the call is queued. An unanswered call (busy, no
    answer, failed, or an answering machine when the step says so) is tried
    again as the step says; when the retries run out, the event fails. The
    *Call* channel stays for calls a person makes.
    """

    _name = "collection.channel.voice"
    _inherit = "collection.channel"
    _description = "Collection Channel: Recorded Call"
    _provider_codes = VOICE_PROVIDERS

    @api.model
    def _check_step(self, step):
        if step.voice_source == "audio":
            if not step.voice_audio:
                return [self.env._("Upload the recording the call plays.")]
            if not (step.voice_audio_filename or "").lower().endswith(".mp3"):
                return [self.env._("The recording the call plays is an MP3 file.")]
        elif not (step.voice_script or "").strip():
            return [self.env._("Write the message the call speaks.")]
        if step.voice_retry_count < 0 or step.voice_retry_hours < 0:
            return [
                self.env._("Call retries and the hours between them are not negative.")
            ]
        return []

    @api.model
    def _get_message_texts(self, step):
        if step.voice_source == "audio" or not (step.voice_script or "").strip():
            return []
        name = self.env._("%(step)s (spoken message)", step=step.name)
        return [(name, [step.voice_script])]

    @api.model
    def _get_delivery_state(self, event, status):
        # A call is delivered when a person answers it.
        return "answered" if status == "delivered" else status

    @api.model
    def _get_unreachable_reasons(self, events):
        return {
            event.id: self.env._(
                "%(customer)s has no valid phone number to call.",
                customer=event.move_id.partner_id.display_name,
            )
            for event in events
            if not event.move_id.partner_id.sudo().phone_sanitized
        }

    @api.model
    def _render_scripts(self, step, moves):
        """The spoken message of ``step`` for each of ``moves``, in its
        customer's language, through Odoo's sandboxed renderer.

        :return: dict {move id: (text, lang)}
        """
        texts = {}
        Render = self.env["mail.render.mixin"]
        by_lang = {}
        for move in moves:
            lang = move.partner_id.lang or move.company_id.partner_id.lang or "en_US"
            by_lang.setdefault(lang, self.env["account.move"])
            by_lang[lang] |= move
        for lang, group in by_lang.items():
            script = step.with_context(lang=lang).voice_script
            rendered = Render.with_context(lang=lang)._render_template(
                script, "account.move", group.ids, engine="inline_template"
            )
            texts.update({move_id: (text, lang) for move_id, text in rendered.items()})
        return texts

    @api.model
    def _get_no_provider_reason(self):
        return self.env._("No voice provider is enabled for this company.")

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes, events = self._split_unreachable(events)
        if not events:
            return outcomes
        provider = self._get_provider(events.company_id[:1])
        if not provider:
            reason = self._get_no_provider_reason()
            return outcomes | {event.id: Outcome.failed(reason) for event in events}
        texts, audio_urls = {}, {}
        for step in events.step_id:
            if step.voice_source == "audio":
                audio_urls[step] = self._get_audio_url(step)
                continue
            texts.update(
                self._render_scripts(
                    step, events.filtered(lambda e, s=step: e.step_id == s).move_id
                )
            )
        values = []
        for event in events:
            step = event.step_id
            text, lang = texts.get(event.move_id.id, (None, "pt_BR"))
            number = event.move_id.partner_id.sudo().phone_sanitized
            values.append(
                {
                    "provider_id": provider.id,
                    "event_id": event.id,
                    "partner_id": event.move_id.partner_id.id,
                    "recipient": number,
                    # What to call and say, whichever provider places the call.
                    "payload": {
                        "to": number,
                        "text": text,
                        "language": SPOKEN.get(lang[:2], "en-US"),
                        "audio_url": audio_urls.get(step),
                        "detect_machine": step.voice_machine == "no_answer",
                    },
                }
            )
        messages = self.env["collection.provider.message"].sudo().create(values)
        for event, message in zip(events, messages, strict=True):
            outcomes[event.id] = Outcome.done(
                {"provider_message_id": message.id, "delivery_state": "queued"},
                note=self.env._(
                    "Collection step %(step)s: recorded call queued for %(number)s.",
                    step=event.step_id.name,
                    number=message.recipient,
                ),
            )
        return outcomes

    # === The recording, served to the provider === #

    @api.model
    def _get_audio_token(self, step):
        """A token valid for ``step``'s current recording only."""
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", step._name),
                    ("res_id", "=", step.id),
                    ("res_field", "=", "voice_audio"),
                ],
                limit=1,
            )
        )
        return hmac(
            self.env(su=True),
            "collection_ruler-voice-audio",
            (step.id, attachment.checksum or ""),
        )

    @api.model
    def _get_audio_url(self, step):
        """The public link the provider fetches ``step``'s recording from."""
        token = self._get_audio_token(step)
        return f"{step.get_base_url()}/collection_ruler/voice/{step.id}/{token}.mp3"

    @api.model
    def _check_audio_token(self, step, token):
        return bool(token) and consteq(self._get_audio_token(step), token)

    @api.model
    def _apply_call_result(self, message, status, duration=None, answered_by=None):
        """Record what became of a call, whichever provider placed it.

        Answered is delivered, with its duration. Busy, no answer, failed (or
        an answering machine, when the step says so) calls again while the
        step has retries left; then the message fails, and its event falls
        back or fails.

        :param message: collection.provider.message record of the call
        :param str status: a final status as Twilio names them (``completed``,
            ``busy``, ``no-answer``, ``failed``, ``canceled``), or one still in
            progress, which is only recorded
        :param int duration: seconds, when known
        :param str answered_by: ``human``, ``machine_start``..., when known
        """
        values = {"call_status": status}
        if duration is not None:
            values["call_duration"] = duration
        if answered_by:
            values["call_answered_by"] = answered_by
        message.write(values)
        now = fields.Datetime.now()
        if self._is_unanswered(message, status, answered_by):
            labels = dict(
                message._fields["call_status"]._description_selection(self.env)
            )
            reason = labels.get(status, status)
            if status == twilio_voice.ANSWERED:
                reason = self.env._("Answering machine")
            if not self._retry_call(message, reason):
                calls = 1
                if message.event_id:
                    calls = message.search_count(
                        [("event_id", "=", message.event_id.id)]
                    )
                if calls > 1:
                    reason = self.env._(
                        "%(reason)s (%(count)s calls)", reason=reason, count=calls
                    )
                message._apply_status("failed", now, reason=reason)
        elif status == twilio_voice.ANSWERED:
            message._apply_status("delivered", now)

    @api.model
    def _is_unanswered(self, message, status, answered_by):
        """Whether a call's final status counts as not answered."""
        if status in twilio_voice.NOT_ANSWERED:
            return True
        step = message.event_id.step_id
        machine = (answered_by or "").startswith(("machine", "fax"))
        return (
            status == twilio_voice.ANSWERED
            and machine
            and (step.voice_machine == "no_answer")
        )

    @api.model
    def _retry_call(self, message, reason):
        """Queue the call again when its step has retries left.

        :return: the new message, or an empty recordset when none is left
        """
        event, step = message.event_id, message.event_id.step_id
        Message = self.env["collection.provider.message"].sudo()
        if not event or step.channel != "voice":
            return Message
        calls = Message.search_count([("event_id", "=", event.id)])
        if calls > step.voice_retry_count:
            return Message
        when = fields.Datetime.now() + timedelta(hours=step.voice_retry_hours)
        retry = Message.create(
            {
                "provider_id": message.provider_id.id,
                "event_id": event.id,
                "partner_id": message.partner_id.id,
                "recipient": message.recipient,
                "payload": message.payload,
                "next_attempt_at": when,
            }
        )
        # The event follows the new call first: the failed one is history.
        event.provider_message_id = retry
        message.write({"state": "failed", "failure_reason": reason})
        event.move_id._message_log(
            body=self.env._(
                "Collection step %(step)s: %(reason)s; calling again on %(date)s.",
                step=step.name,
                reason=reason,
                date=fields.Datetime.to_string(when),
            )
        )
        return retry
