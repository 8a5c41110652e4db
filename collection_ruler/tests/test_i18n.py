from odoo.tests import tagged

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionTranslation(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br()

    def test_messages_in_customer_language(self):
        """A pt_BR customer gets the email and the step labels in Portuguese."""
        self.customer.lang = "pt_BR"
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))
        mail = self._mails_to(self.customer)
        self.assertIn("vence hoje", mail.subject)
        self.assertIn("Prezado(a)", mail.body_html)
        step = self.step_before.with_context(lang="pt_BR")
        self.assertEqual(step.offset_label, "3 dias antes da data de vencimento")
        self.assertEqual(move.collection_event_ids.mapped("state").count("done"), 1)
