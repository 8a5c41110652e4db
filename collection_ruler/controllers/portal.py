"""The customer's own promise to pay, from the invoice's portal page."""

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount


class CollectionPortalAccount(PortalAccount):
    @http.route(
        "/my/invoices/<int:invoice_id>/collection_promise",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
    )
    def collection_portal_promise(self, invoice_id, access_token=None, date=None, **kw):
        try:
            invoice_sudo = self._document_check_access(
                "account.move", invoice_id, access_token
            )
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            promise = invoice_sudo._collection_portal_promise(date)
        except ValueError:
            promise = None
        answer = "recorded" if promise else "refused"
        return request.redirect(
            invoice_sudo.get_portal_url(query_string=f"&collection_promise={answer}")
        )
