"""What the customer receives by email: the sender, the layout, no branding."""

from odoo.tests import tagged

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionEmail(CollectionRulerCommon):
    def _mail_of(self, move, offset=0):
        with self.mock_mail_gateway():
            self._run(day(offset))
        mail = self._mails_to(move.partner_id)
        self.assertEqual(len(mail), 1)
        return mail

    def test_an_invoice_made_by_a_robot_is_sent_by_the_company(self):
        move = self._create_invoice(invoice_user_id=self.env.ref("base.user_root").id)
        self.assertEqual(move.invoice_user_id.name, "OdooBot")
        mail = self._mail_of(move)
        self.assertEqual(mail.email_from, self.company.email_formatted)
        self.assertEqual(mail.author_id, self.company.partner_id)
        self.assertNotIn("odoobot", (mail.reply_to or "").lower())
        self.assertTrue(mail.reply_to, "replies reach a mailbox")

    def test_the_salesperson_does_not_sign_but_the_step_responsible_does(self):
        move = self._create_invoice()
        self.assertEqual(move.invoice_user_id, self.salesperson)
        mail = self._mail_of(move, -3)
        self.assertEqual(mail.email_from, self.company.email_formatted)

        self.step_due.activity_user_id = self.salesperson
        mail = self._mail_of(move, 0)
        self.assertEqual(mail.email_from, self.salesperson.email_formatted)

    def test_a_company_without_email_sends_from_the_default_sender(self):
        self.company.email = False
        move = self._create_invoice()
        mail = self._mail_of(move)
        self.assertTrue(self.company.email_formatted, "the catchall, here")
        self.assertEqual(mail.email_from, self.company.email_formatted)
        self.assertIn(self.company.name, mail.email_from)

    def test_the_layout_names_the_invoice_without_odoo_branding(self):
        move = self._create_invoice()
        body = self._mail_of(move).body_html
        self.assertIn("Your invoice", body)
        self.assertIn(move.name, body)
        self.assertIn(self.company.name, body)
        self.assertNotIn("Journal Entry", body)
        self.assertNotIn("Powered by", body)
        self.assertNotIn("/mail/unfollow", body)
        self.assertNotIn("odoo.com", body)

    def test_the_layout_in_portuguese(self):
        self._load_pt_br()
        self.customer.lang = "pt_BR"
        move = self._create_invoice()
        body = self._mail_of(move).body_html
        self.assertIn("Sua fatura", body)
        self.assertNotIn("Lançamento", body)
