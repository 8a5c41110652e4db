"""Lawful wording: collection templates never threaten, expose or mislead.

The consumer code forbids exposing a debtor to ridicule, pressure or threats
(CDC art. 42), and makes threats, coercion and false or misleading
statements a crime (art. 71). Saving a mail, SMS, WhatsApp or letter
template that a ruler uses checks its text against a list of forbidden
expressions, which is data that managers edit. A template that matches is
refused with the expression and the article it would breach.

The check reads the template's source and, when an invoice of the company
can be rendered, the text as a customer would read it. It is a safety net,
not a legal review: an expression off the list passes.
"""

import re
import unicodedata

from odoo import api, fields, models
from odoo.exceptions import ValidationError


def normalize(text):
    """Lower case, without accents and with single spaces, to compare."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text).lower()


class CollectionForbiddenExpression(models.Model):
    _name = "collection.forbidden.expression"
    _description = "Forbidden Collection Expression"
    _order = "category, name"

    name = fields.Char(
        string="Expression",
        required=True,
        help="Matched anywhere in a template's text, whatever its case and accents.",
    )
    category = fields.Selection(
        selection=[
            ("arrest", "Threat of Arrest"),
            ("exposure", "Public Exposure"),
            ("third_party", "Contacting Employers or Family"),
            ("fake_authority", "Fake Court or Police Language"),
            ("fake_seal", "Bureau Logo as an Official Seal"),
            ("other", "Other"),
        ],
        required=True,
        default="other",
    )
    article = fields.Char(
        string="Breaches",
        required=True,
        default="CDC art. 42",
        translate=True,
        help="The article of the consumer code the expression would breach.",
    )
    active = fields.Boolean(default=True)

    @api.model
    def _find_in(self, texts):
        """The first active expression found in ``texts``, or an empty record."""
        haystack = " ".join(normalize(text) for text in texts if text)
        for expression in self.sudo().search([]):
            if normalize(expression.name) in haystack:
                return expression
        return self.browse()

    @api.model
    def _check_texts(self, template_name, texts):
        """Refuse the texts of ``template_name`` when one holds a forbidden
        expression. :raise ValidationError: naming the expression and article"""
        expression = self._find_in(texts)
        if expression:
            categories = dict(self._fields["category"]._description_selection(self.env))
            raise ValidationError(
                self.env._(
                    "The collection template %(template)s says “%(expression)s”, "
                    "which is forbidden (%(category)s; %(article)s). Reword it.",
                    template=template_name,
                    expression=expression.name,
                    category=categories[expression.category].lower(),
                    article=expression.article,
                )
            )

    @api.model
    def _sample_move(self, company):
        """An invoice to render a template on, as a customer would read it."""
        return self.env["account.move"].search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("company_id", "=", company.id),
            ],
            limit=1,
            order="id desc",
        )
