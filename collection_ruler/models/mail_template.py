"""Forbidden wording: a mail template used by a collection step is checked
against the collection.forbidden.expression list when saved."""

import logging

from odoo import api, models
from odoo.tools.mail import html2plaintext

_logger = logging.getLogger(__name__)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.constrains("body_html", "subject")
    def _check_collection_wording(self):
        steps = self.env["collection.ruler.step"].sudo()
        used = steps.search(
            [
                "|",
                ("mail_template_id", "in", self.ids),
                ("mail_template_individual_id", "in", self.ids),
            ]
        )
        Expression = self.env["collection.forbidden.expression"]
        company = used.company_id[:1] or self.env.company
        for template in self.filtered(
            lambda t: t in used.mail_template_id | used.mail_template_individual_id
        ):
            Expression._check_texts(
                template.display_name, template._collection_get_texts(company)
            )

    def _collection_get_texts(self, company):
        """What this template says, as the forbidden-wording check reads it:
        its subject, its body, and its body rendered on an invoice of
        ``company``, as a customer would read it.

        :return: list of texts
        """
        self.ensure_one()
        texts = [self.subject, html2plaintext(self.body_html or "")]
        move = self.env["collection.forbidden.expression"]._sample_move(company)
        if move:
            try:
                rendered = self._render_field("body_html", move.ids)
                texts.append(html2plaintext(rendered[move.id] or ""))
            except Exception:  # noqa: BLE001 - the source is still checked
                # A broken template fails its events when it runs.
                _logger.debug("Template %s not rendered", self.id, exc_info=True)
        return texts
