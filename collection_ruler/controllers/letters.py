"""The download of the letters to print: they count as printed when served.

*Print Pending Letters* renders the letters into one PDF and opens this
route in a new tab. A letter is marked printed here, when its PDF reaches
the person who prints it, not when it was rendered: a download a popup
blocker stopped leaves the letters in the queue.
"""

from odoo import http
from odoo.http import request


class CollectionLetters(http.Controller):
    @http.route(
        "/collection_ruler/letters/<int:batch_id>",
        type="http",
        auth="user",
        methods=["GET"],
        sitemap=False,
    )
    def collection_print_letters(self, batch_id, **kw):
        # The search applies the user's access rights to the letters.
        batch = request.env["collection.channel.letter"]._serve_print_batch(batch_id)
        if not batch:
            raise request.not_found()
        stream = request.env["ir.binary"]._get_stream_from(batch)
        return stream.get_response(as_attachment=True)
