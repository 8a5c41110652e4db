"""The recording of a recorded-call step, fetched by the voice provider
through a link that only works for the step's current file."""

from werkzeug.exceptions import NotFound

from odoo import http
from odoo.http import request


class CollectionVoiceController(http.Controller):
    @http.route(
        "/collection_ruler/voice/<int:step_id>/<string:token>.mp3",
        type="http",
        auth="public",
        methods=["GET", "HEAD"],
        save_session=False,
    )
    def voice_audio(self, step_id, token):
        step = request.env["collection.ruler.step"].sudo().browse(step_id)
        Voice = request.env["collection.channel.voice"].sudo()
        if (
            not step.exists()
            or step.voice_source != "audio"
            or not step.voice_audio
            or not Voice._check_audio_token(step, token)
        ):
            raise NotFound()
        stream = request.env["ir.binary"]._get_stream_from(
            step,
            "voice_audio",
            filename=step.voice_audio_filename or "message.mp3",
            mimetype="audio/mpeg",
        )
        return stream.get_response()
