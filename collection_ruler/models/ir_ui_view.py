"""Forbidden wording: a QWeb letter template used by a collection step is checked
against the collection.forbidden.expression list when saved."""

from odoo import api, models
from odoo.tools.mail import html2plaintext


class IrUiView(models.Model):
    _inherit = "ir.ui.view"

    @api.constrains("arch_db")
    def _check_collection_wording(self):
        # The letters' QWeb templates, in every installed language.
        letters = self.filtered(
            lambda v: v.type == "qweb"
            and (v.key or "").startswith(
                ("collection_ruler.report_", "collection_ruler.letter_")
            )
        )
        Expression = self.env["collection.forbidden.expression"]
        for view in letters:
            texts = [
                html2plaintext(view.with_context(lang=lang).arch_db or "")
                for lang, _name in self.env["res.lang"].get_installed()
            ]
            Expression._check_texts(view.name, texts)
