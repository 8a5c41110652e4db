"""Forbidden wording: an SMS template used by a collection step is checked
against the collection.forbidden.expression list when saved."""

from odoo import api, models


class SmsTemplate(models.Model):
    _inherit = "sms.template"

    @api.constrains("body")
    def _check_collection_wording(self):
        used = (
            self.env["collection.ruler.step"]
            .sudo()
            .search(
                [
                    "|",
                    ("sms_template_id", "in", self.ids),
                    ("sms_template_individual_id", "in", self.ids),
                ]
            )
        )
        Expression = self.env["collection.forbidden.expression"]
        for template in self.filtered(
            lambda t: t in used.sms_template_id | used.sms_template_individual_id
        ):
            Expression._check_texts(template.display_name, [template.body])
