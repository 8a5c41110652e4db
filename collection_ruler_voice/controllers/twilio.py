"""Twilio's call status callbacks, signed with ``X-Twilio-Signature``."""

import logging

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class CollectionTwilioController(http.Controller):
    @http.route(
        "/collection_ruler/twilio/<int:provider_id>/status",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def twilio_status(self, provider_id, **_params):
        provider = request.env["collection.provider"].sudo().browse(provider_id)
        if not provider.exists() or provider.code != "twilio_voice":
            raise NotFound()
        # An unanswered call's reason and note: in the company's language.
        provider = provider.with_context(
            lang=provider.company_id._collection_get_lang()
        )
        # Twilio signs the URL it was given: the public one, even behind a
        # proxy that Odoo sees as another host.
        httprequest = request.httprequest
        url = provider.get_base_url() + httprequest.full_path.rstrip("?")
        params = httprequest.form.to_dict()
        header = httprequest.headers.get("X-Twilio-Signature")
        if not provider._twilio_voice_check_signature(url, params, header):
            _logger.warning("Twilio callback with a bad signature for %s", provider)
            raise Forbidden()
        provider._twilio_voice_apply_status(params)
        return request.make_response("", [("Content-Type", "text/plain")])
