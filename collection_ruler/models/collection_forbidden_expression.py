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

import logging
import re
import unicodedata

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.mail import html2plaintext

_logger = logging.getLogger(__name__)


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
        for template in self.filtered(
            lambda t: t in used.mail_template_id | used.mail_template_individual_id
        ):
            texts = [template.subject, html2plaintext(template.body_html or "")]
            move = Expression._sample_move(used.company_id[:1] or self.env.company)
            if move:
                try:
                    rendered = template._render_field("body_html", move.ids)
                    texts.append(html2plaintext(rendered[move.id] or ""))
                except Exception:  # noqa: BLE001 - the source is still checked
                    # A broken template fails its events when it runs.
                    _logger.debug(
                        "Template %s not rendered", template.id, exc_info=True
                    )
            Expression._check_texts(template.display_name, texts)


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


class CollectionRulerStep(models.Model):
    _inherit = "collection.ruler.step"  # pylint: disable=consider-merging-classes-inherited

    @api.constrains(
        "mail_template_id",
        "mail_template_individual_id",
        "sms_template_id",
        "sms_template_individual_id",
        "whatsapp_template_id",
    )
    def _check_collection_wording(self):
        # A template chosen for a step is checked as if it were saved.
        self.mail_template_id._check_collection_wording()
        self.mail_template_individual_id._check_collection_wording()
        self.sms_template_id._check_collection_wording()
        self.sms_template_individual_id._check_collection_wording()
        Expression = self.env["collection.forbidden.expression"]
        for template in self.whatsapp_template_id:
            Expression._check_texts(template.display_name, [template.body])


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
