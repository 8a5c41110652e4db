"""The page that pays several invoices together, from a digest or a letter.

Its link is signed (``account.move._collection_get_pay_all_url``): it shows
the invoices it was made for that are still open, each with its own pay
link, and one Pix code for the updated total.
"""

from odoo import http
from odoo.http import request


class CollectionPayAll(http.Controller):
    @http.route(
        "/collection/pay/<string:ids>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def collection_pay_all(self, ids, token=None, **kw):
        Move = request.env["account.move"].sudo()
        if not Move._collection_check_pay_all_token(ids, token):
            raise request.not_found()
        try:
            move_ids = [int(move_id) for move_id in ids.split("-")]
        except ValueError as error:
            raise request.not_found() from error
        invoices = (
            Move.browse(move_ids)
            .exists()
            .filtered(
                lambda m: m.state == "posted"
                and m.move_type == "out_invoice"
                and m.payment_state not in ("paid", "in_payment", "reversed")
            )
        )
        if not invoices:
            return request.render("collection_ruler.portal_pay_all_paid", {})
        invoices = invoices.with_context(lang=invoices[0].partner_id.lang)
        first = invoices.sorted(lambda m: (m.invoice_date_due, m.id))[0]
        rows = [
            {
                "invoice": invoice,
                "due": invoice.amount_residual,
                "updated": invoice.collection_amount_updated,
                "pay_url": invoice.collection_pay_url,
            }
            for invoice in invoices.sorted(lambda m: (m.invoice_date_due, m.id))
        ]
        total = sum(row["updated"] for row in rows)
        return request.render(
            "collection_ruler.portal_pay_all",
            {
                "rows": rows,
                "total": total,
                "currency": first.currency_id,
                "company": first.company_id,
                "pix": first._collection_get_pix(total),
            },
        )
