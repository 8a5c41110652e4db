"""Every collection message names its creditor (CDC art. 42-A: name, address
and CNPJ) and itemises the principal, the late fine and the interest, with
the interest rule used."""

from datetime import date

from odoo import Command
from odoo.tests import tagged
from odoo.tools.mail import html2plaintext

from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon, day

CNPJ = "11.222.333/0001-81"
DETAILS = f"CNPJ {CNPJ}, Rua Augusta, 1500, São Paulo, 01304-001, Brazil"


@tagged("post_install", "-at_install")
class TestCreditorIdentity(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "name": "Padaria Central Ltda",
                "vat": CNPJ,
                "street": "Rua Augusta, 1500",
                "city": "São Paulo",
                "zip": "01304-001",
            }
        )
        cls.late_ruler = cls.env["collection.ruler"].create(
            {
                "name": "Late email",
                "fine_percent": 2.0,
                "interest_percent": 1.0,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Email ten days late",
                            "offset_days": 10,
                            "channel": "email",
                            "mail_template_id": cls.env.ref(
                                "collection_ruler.mail_template_collection_due_today"
                            ).id,
                        }
                    )
                ],
            }
        )
        cls.step = cls.late_ruler.step_ids

    def _mail_text(self, when, **invoice_values):
        move = self._create_invoice(
            collection_ruler_id=self.late_ruler.id, **invoice_values
        )
        with self.mock_mail_gateway():
            self.assertEqual(self._run(when)["done"], 1)
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1)
        return move, html2plaintext(mail.body_html)

    def test_the_email_names_the_creditor_and_itemises_the_charges(self):
        move, text = self._mail_text(day(10))
        self.assertEqual(move.company_id.partner_id.street, "Rua Augusta, 1500")
        self.assertIn(DETAILS, text, "under the email, from the layout")
        # 2% of 1,000.00, and 1% a month for 10 days: 3.33.
        self.assertIn(
            "Principal $ 1,000.00 + late fine $ 20.00 + interest $ 3.33 "
            "(1.00% a month, as agreed) = $ 1,023.33",
            text.replace("\xa0", " "),
        )

    def test_the_legal_rate_is_named(self):
        self.env["collection.legal.rate"].create(
            {"month": date(2026, 3, 1), "rate": 0.6}
        )
        self.late_ruler.interest_rule = "legal"
        _move, text = self._mail_text(day(10))
        # 0.6% a month for 10 days of March: 2.00.
        self.assertIn(
            "Principal $ 1,000.00 + late fine $ 20.00 + interest $ 2.00 "
            "(legal rate, Civil Code art. 406) = $ 1,022.00",
            text.replace("\xa0", " "),
        )

    def test_in_portuguese(self):
        self._load_pt_br()
        self.customer.lang = "pt_BR"
        _move, text = self._mail_text(day(10))
        # Only this module's terms are loaded: the country keeps its name.
        self.assertIn(DETAILS, text)
        self.assertIn(
            "Principal $ 1.000,00 + multa $ 20,00 + juros $ 3,33 "
            "(1,00% ao mês, conforme contrato) = $ 1.023,33",
            text.replace("\xa0", " "),
        )

    def test_before_the_due_date_nothing_is_charged(self):
        self.step.offset_days = -3
        _move, text = self._mail_text(day(-3))
        self.assertIn(
            "Principal $ 1,000.00, with no late fine or interest",
            text.replace("\xa0", " "),
        )

    def test_an_email_template_without_a_layout_gets_the_collection_layout(self):
        self.step.mail_template_id = self.env["mail.template"].create(
            {
                "name": "Plain reminder",
                "model_id": self.env.ref("account.model_account_move").id,
                "partner_to": "{{ object.partner_id.id }}",
                "subject": "Invoice {{ object.name }}",
                "body_html": '<p>Please pay <t t-out="object.name"/>.</p>',
            }
        )
        move, text = self._mail_text(day(10))
        self.assertIn(f"Please pay {move.name}.", text)
        self.assertIn(DETAILS, text)

    def test_an_sms_that_does_not_name_the_creditor_gets_its_line(self):
        Template = self.env["sms.template"]
        model = self.env.ref("account.model_account_move").id
        plain = Template.create(
            {"name": "Plain", "model_id": model, "body": "{{ object.name }} is late."}
        )
        named = Template.create(
            {
                "name": "Named",
                "model_id": model,
                "body": "{{ object.name }} is late. Padaria Central, CNPJ "
                + CNPJ.replace(".", ""),
            }
        )
        ruler = self.env["collection.ruler"].create(
            {
                "name": "SMS",
                "step_ids": [
                    Command.create(
                        {
                            "name": "SMS a week late",
                            "offset_days": 7,
                            "channel": "sms",
                            "sms_template_id": plain.id,
                        }
                    )
                ],
            }
        )
        step = ruler.step_ids
        first = self._create_invoice(collection_ruler_id=ruler.id)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._run(day(7))
        self.assertEqual(
            self._events(first)[step].sms_id.body,
            f"{first.name} is late. Padaria Central Ltda, "
            + DETAILS.replace("São", "Sao"),
            "the whole line, written in GSM-7",
        )
        step.sms_template_id = named
        second = self._create_invoice(collection_ruler_id=ruler.id, due=day(1))
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._run(day(8))
        self.assertEqual(
            self._events(second)[step].sms_id.body,
            f"{second.name} is late. Padaria Central, CNPJ 11222333/0001-81",
            "its own identification kept, nothing added",
        )

    def test_a_digest_and_a_letter_itemise_every_invoice(self):
        first = self._create_invoice(collection_ruler_id=self.late_ruler.id)
        second = self._create_invoice(
            collection_ruler_id=self.late_ruler.id, amount=500.0, due=day(5)
        )
        moves = first.with_context(
            collection_date=day(10),
            collection_digest=((first.id, tuple((first | second).ids)),),
        )
        # 20.00 + 10.00 of fines; 3.33 + 0.83 of interest, each rounded.
        self.assertEqual(
            moves.collection_charges_summary.replace("\xa0", " "),
            "Principal $ 1,500.00 + late fine $ 30.00 + interest $ 4.16 "
            "(1.00% a month, as agreed) = $ 1,534.16",
        )
        # A letter claims both overdue invoices, digest or not.
        self.assertEqual(
            first.with_context(
                collection_date=day(10)
            ).collection_letter_charges_summary.replace("\xa0", " "),
            moves.collection_charges_summary.replace("\xa0", " "),
        )
        self.assertEqual(first.collection_creditor, f"Padaria Central Ltda, {DETAILS}")
