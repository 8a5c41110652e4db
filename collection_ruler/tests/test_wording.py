"""Lawful wording: a template a ruler uses never threatens (CDC arts. 42, 71)."""

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CollectionRulerCommon


@tagged("post_install", "-at_install")
class TestWording(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.step = cls.step_due
        cls.template = cls.step.mail_template_id

    def test_a_threatening_email_is_refused_in_english(self):
        with self.assertRaisesRegex(
            ValidationError,
            r"“will be arrested”, which is forbidden \(threat of arrest; CDC art\. 42",
        ):
            self.template.body_html = "<p>Pay today or you WILL BE arrested.</p>"

    def test_a_threatening_email_is_refused_in_portuguese(self):
        self._load_pt_br()
        # Accents and case do not hide an expression; the refusal is in the
        # user's language.
        with self.assertRaisesRegex(
            ValidationError,
            r"“seu empregador”, o que é proibido \(contato com empregador ou "
            r"família; CDC art\. 42 e art\. 71\)",
        ):
            self.template.with_context(
                lang="pt_BR"
            ).body_html = "<p>Vamos avisar o SEU EMPREGADOR e a sua familia.</p>"

    def test_a_rendered_placeholder_is_checked_too(self):
        """The text as the customer reads it: a placeholder that prints a
        forbidden expression is caught."""
        self._create_invoice()
        self.customer.comment = "A polícia foi avisada"
        with self.assertRaisesRegex(ValidationError, "fake court or police"):
            self.template.body_html = (
                "<p>Note: <t t-out=\"object.partner_id.comment or ''\"/></p>"
            )

    def test_a_template_no_ruler_uses_is_free(self):
        template = self.template.copy()
        template.body_html = "<p>The police report is attached.</p>"
        self.assertIn("police", template.body_html)
        # Chosen for a step, it is checked as if it were saved.
        with self.assertRaisesRegex(ValidationError, "police"):
            self.step.mail_template_id = template

    def test_an_sms_and_a_letter_are_checked(self):
        sms_step = self.env.ref("collection_ruler.collection_ruler_step_sms")
        with self.assertRaisesRegex(ValidationError, "oficial de justiça"):
            sms_step.sms_template_id.body = "Um oficial de justica ira ate voce."
        view = self.env.ref("collection_ruler.letter_signature")
        with self.assertRaisesRegex(ValidationError, "selo oficial"):
            view.arch_db = view.arch_db.replace(
                "Sincerely", "Selo oficial Serasa. Sincerely"
            )

    def test_managers_edit_the_list(self):
        Expression = self.env["collection.forbidden.expression"]
        expression = Expression.create(
            {"name": "última chance", "category": "other", "article": "CDC art. 42"}
        )
        with self.assertRaisesRegex(ValidationError, "última chance"):
            self.template.subject = "Ultima chance: {{ object.name }}"
        expression.active = False
        self.template.subject = "Ultima chance: {{ object.name }}"
        self.assertTrue(self.template.subject.startswith("Ultima"))
