"""Zenvia Voice's call webhooks: unsigned, so the URL carries the
provider's secret, and the call's status is asked of Zenvia itself."""

import logging

from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import http
from odoo.http import request

_logger = logging.getLogger(__name__)


class CollectionZenviaController(http.Controller):
    @http.route(
        "/collection_ruler/zenvia/<int:provider_id>/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def zenvia_webhook(self, provider_id, token, **_params):
        provider = request.env["collection.provider"].sudo().browse(provider_id)
        if not provider.exists() or provider.code != "zenvia_voice":
            raise NotFound()
        # An unanswered call's reason and note: in the company's language.
        provider = provider.with_context(
            lang=provider.company_id._collection_get_lang()
        )
        if not provider._zenvia_check_token(token):
            _logger.warning("Zenvia webhook with a wrong secret for %s", provider)
            raise Forbidden()
        try:
            call = provider._zenvia_parse_callback(request.httprequest.get_data())
        except ValueError as error:
            raise BadRequest() from error
        message = provider.env["collection.provider.message"]._find(
            provider, reference=call["id"]
        )
        if message and message.state == "sent" and provider.state == "enabled":
            provider._zenvia_poll(message)
        return request.make_response("", [("Content-Type", "text/plain")])
