"""The invoice's portal page: what an overdue invoice owes today, with its
Pix and the page that pays all the customer's overdue invoices, and the
customer's own promise to pay."""

from odoo import http
from odoo.exceptions import AccessError, MissingError
from odoo.http import request

from odoo.addons.account.controllers.portal import PortalAccount


class CollectionPortalAccount(PortalAccount):
    def _invoice_get_page_view_values(self, invoice, access_token, **kwargs):
        values = super()._invoice_get_page_view_values(invoice, access_token, **kwargs)
        values["collection_overdue"] = self._collection_get_overdue_values(invoice)
        return values

    def _collection_get_overdue_values(self, invoice):
        """What the page of an overdue invoice collected by a ruler shows: the
        updated amount, the Pix that pays it and, when the customer has other
        overdue invoices, the page that pays them all (the letter's).

        :param invoice: the account.move of the page, in sudo mode
        :return: dict with ``charges`` (``_collection_get_charges``), ``pix``
            (``_collection_get_pix``, possibly empty) and, with other overdue
            invoices, ``pay_all_url`` and ``pay_all_total`` (their updated total);
            an empty dict for any other invoice
        """
        if not (
            invoice.collection_ruler_id
            and invoice.filtered_domain(invoice._collection_get_collectible_domain())
        ):
            return {}
        today = invoice._collection_get_today()
        due_date = invoice._collection_get_due_date()
        if not due_date or due_date >= today:
            return {}
        charges = invoice._collection_get_charges(today)
        values = {
            "charges": charges,
            "pix": invoice._collection_get_pix(charges["total"]),
        }
        Letter = invoice.env["report.collection_ruler.letter"]
        overdue = invoice | Letter._get_overdue_invoices(invoice, today)
        if len(overdue) > 1:
            values.update(
                pay_all_url=overdue._collection_get_pay_all_url(),
                pay_all_total=sum(
                    move._collection_get_charges(today)["total"] for move in overdue
                ),
            )
        return values

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
