"""Rulers by customer profile: ordered assignment rules choose the ruler of
a posted invoice, after the invoice's own and the customer's, before the
company's default."""

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestRulerRules(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gentle = cls._create_email_ruler("Gentle", Due=0)
        cls.big = cls._create_email_ruler("Big debts", Due=0, Late=3)
        cls.vip = cls._create_email_ruler("VIP", Late=10)
        cls.Rule = cls.env["collection.ruler.rule"]
        cls.vip_tag = cls.env["res.partner.category"].create({"name": "VIP"})
        cls.customer.vat = "529.982.247-25"  # a CPF: an individual
        cls.customer_2.write({"vat": "11.222.333/0001-81", "is_company": True})
        cls.Rule.create(
            [
                {
                    "sequence": 1,
                    "name": "VIP customers",
                    "category_ids": [Command.set(cls.vip_tag.ids)],
                    "ruler_id": cls.vip.id,
                },
                {
                    "sequence": 2,
                    "name": "Big debts",
                    "amount_min": 5000.0,
                    "ruler_id": cls.big.id,
                },
                {
                    "sequence": 3,
                    "name": "Individuals",
                    "partner_type": "individual",
                    "ruler_id": cls.gentle.id,
                },
            ]
        )

    def test_rules_in_order(self):
        individual = self._create_invoice(amount=100.0)
        self.assertEqual(individual.collection_ruler_id, self.gentle)
        company = self._create_invoice(partner=self.customer_2, amount=100.0)
        self.assertEqual(company.collection_ruler_id, self.ruler, "the default")
        big = self._create_invoice(partner=self.customer_2, amount=8000.0)
        self.assertEqual(big.collection_ruler_id, self.big)
        big_individual = self._create_invoice(amount=8000.0)
        self.assertEqual(
            big_individual.collection_ruler_id, self.big, "the first rule met"
        )
        self.customer.category_id = self.vip_tag
        vip = self._create_invoice(amount=8000.0)
        self.assertEqual(vip.collection_ruler_id, self.vip)
        self.assertEqual(
            vip.collection_event_ids.step_id, self.vip.step_ids, "its schedule"
        )
        self.assertFalse(vip.collection_ruler_chosen, "taken, not chosen")

    def test_the_amount_is_the_posted_one(self):
        move = self._create_invoice(partner=self.customer_2, amount=100.0, post=False)
        self.assertEqual(move.collection_ruler_id, self.ruler)
        move.invoice_line_ids.price_unit = 6000.0
        move.action_post()
        self.assertEqual(move.collection_ruler_id, self.big)

    def test_the_invoice_and_the_customer_come_first(self):
        chosen = self._create_invoice(amount=100.0, collection_ruler_id=self.big.id)
        self.assertEqual(chosen.collection_ruler_id, self.big)
        self.customer.collection_ruler_id = self.vip
        self.assertEqual(
            self._create_invoice(amount=100.0).collection_ruler_id, self.vip
        )

    def test_amounts_are_checked(self):
        rule = self.Rule.search([("name", "=", "Big debts")])
        with self.assertRaises(ValidationError):
            rule.amount_max = 1000.0
        rule.active = False
        self.assertEqual(
            self._create_invoice(
                partner=self.customer_2, amount=8000.0
            ).collection_ruler_id,
            self.ruler,
            "an archived rule is left out",
        )

    def test_a_step_speaks_to_each_profile_in_its_own_words(self):
        step = self.gentle.step_ids
        gentle_template = step.mail_template_id.copy(
            {"subject": "A friendly reminder from {{ object.company_id.name }}"}
        )
        step.mail_template_individual_id = gentle_template
        sms_template = self.env.ref("collection_ruler.sms_template_collection_overdue")
        sms_step = self.env["collection.ruler.step"].create(
            {
                "ruler_id": self.gentle.id,
                "name": "SMS",
                "offset_days": 1,
                "channel": "sms",
                "sms_template_individual_id": sms_template.copy(
                    {"body": "Oi {{ object.partner_id.name }}, tudo bem?"}
                ).id,
            }
        )
        self.gentle.contact_cap_day = 0
        individual = self._create_invoice(collection_ruler_id=self.gentle.id)
        company = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=self.gentle.id
        )
        with self.mock_mail_gateway():
            self._run(day(0))
            self.assertIn("friendly reminder", self._mails_to(self.customer).subject)
            self.assertNotIn(
                "friendly reminder", self._mails_to(self.customer_2).subject
            )
        with self.mockSMSGateway():
            self._run(day(1))
        sms = {
            event.move_id: event.sms_id.body
            for event in (individual | company).collection_event_ids
            if event.step_id == sms_step
        }
        self.assertTrue(sms[individual].startswith("Oi Padaria"))
        self.assertFalse(sms[company].startswith("Oi"), "the step's template")

    def test_the_ruler_shows_customers_assigned_and_invoices_followed(self):
        """The Customers button counts explicit assignments only; the Open
        Invoices button counts every invoice the ruler follows, however it
        came to it, and opens them."""
        self.customer.collection_ruler_id = self.vip
        self.customer_2.category_id = self.vip_tag
        by_customer = self._create_invoice(amount=100.0)
        by_rule = self._create_invoice(partner=self.customer_2, amount=100.0)
        self.assertEqual((by_customer | by_rule).collection_ruler_id, self.vip)
        self.assertEqual((self.vip.partner_count, self.vip.invoice_count), (1, 2))
        self.assertEqual(self.vip._fields["partner_count"].string, "Customers Assigned")
        arch = self.vip.get_view(
            self.env.ref("collection_ruler.collection_ruler_view_form").id
        )["arch"]
        self.assertIn('name="action_view_invoices"', arch)
        self.assertIn('name="action_view_partners"', arch)
        action = self.vip.action_view_invoices()
        self.assertEqual(
            self.env["account.move"].search(action["domain"]), by_customer | by_rule
        )
        action = self.vip.action_view_partners()
        self.assertEqual(action["name"], "Customers Assigned")
        self.assertEqual(action["domain"], [("id", "in", self.customer.ids)])

    def test_the_invoice_lists_have_their_headings(self):
        arch = self.env["account.move"].get_view(
            self.env.ref("account.view_move_form").id
        )["arch"]
        self.assertIn('<separator string="Promises to Pay"', arch)
        self.assertIn('<separator string="Collection Timeline"', arch)
