"""Meta's WhatsApp Cloud API webhook: register
``<web.base.url>/collection_ruler/whatsapp/<provider id>`` as its callback URL.
"""

import json
import logging

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class CollectionWhatsAppController(http.Controller):
    def _provider(self, provider_id):
        provider = request.env["collection.provider"].sudo().browse(provider_id)
        if not provider.exists() or provider.code != "whatsapp_cloud":
            raise NotFound()
        # What a status or a reply writes (a failed step's reason, the chatter)
        # is in the company's language, not the request's.
        return provider.with_context(lang=provider.company_id._collection_get_lang())

    @http.route(
        "/collection_ruler/whatsapp/<int:provider_id>",
        type="http",
        auth="public",
        methods=["GET"],
        csrf=False,
        save_session=False,
    )
    def whatsapp_verify(self, provider_id, **params):
        """The subscription handshake: echo the challenge to the right token."""
        provider = self._provider(provider_id)
        if not provider._whatsapp_cloud_verify_token(
            params.get("hub.mode"), params.get("hub.verify_token")
        ):
            raise Forbidden()
        return request.make_response(
            params.get("hub.challenge") or "", [("Content-Type", "text/plain")]
        )

    @http.route(
        "/collection_ruler/whatsapp/<int:provider_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def whatsapp_webhook(self, provider_id, **_params):
        """Statuses and replies, signed with the app secret."""
        provider = self._provider(provider_id)
        body = request.httprequest.get_data()
        signature = request.httprequest.headers.get("X-Hub-Signature-256")
        if not provider._whatsapp_cloud_check_signature(body, signature):
            _logger.warning("WhatsApp webhook with a bad signature for %s", provider)
            raise Forbidden()
        try:
            payload = json.loads(body)
        except ValueError:
            return request.make_response("", status=400)
        if provider.state == "disabled":
            return request.make_response("")
        provider._whatsapp_cloud_handle(payload)
        return request.make_response("")
