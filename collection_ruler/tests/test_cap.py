"""The contact cap: a customer gets at most so many contacts a day and in 7
days, across channels and invoices; a step over the cap waits, legal steps
never do but count."""

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestContactCap(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.busy_ruler = cls._create_email_ruler(
            "Busy", Due=0, Two=2, Four=4, Five=5, Eight=8
        )
        cls.step_five = cls.busy_ruler.step_ids.filtered(lambda s: s.name == "Five")
        # Steps on Sundays: contact hours have tests of their own.
        cls.env["collection.contact.window"].search([]).active = False

    def test_defaults_and_limits(self):
        self.assertEqual(
            (self.busy_ruler.contact_cap_day, self.busy_ruler.contact_cap_week), (1, 3)
        )
        with self.assertRaisesRegex(ValidationError, "not negative"):
            self.busy_ruler.contact_cap_week = -1

    def test_the_fourth_contact_of_a_week_waits(self):
        move = self._create_invoice(collection_ruler_id=self.busy_ruler.id)
        with self.mock_mail_gateway():
            for offset in (0, 2, 4):
                self.assertEqual(self._run(day(offset))["done"], 1)
            counters = self._run(day(5))
            self.assertEqual((counters["done"], counters["deferred"]), (0, 1))
            event = self._events(move)[self.step_five]
            self.assertEqual(
                (event.state, event.scheduled_date), ("scheduled", day(7).date())
            )
            self.assertIn("reached the contact limit", event.failure_reason)
            self.assertIn("deferred", move.message_ids[0].body)
            self.assertEqual(self._run(day(6))["due"], 0, "three in the 7 days")
            self.assertEqual(self._run(day(7))["done"], 1, "D+0 left the window")
        self.assertEqual(event.state, "done")
        self.assertEqual(len(self._mails_to(self.customer)), 4, "never dropped")

    def test_two_invoices_due_the_same_day_go_on_two_days(self):
        # Without the digest, which would send them in one email.
        ruler = self._create_email_ruler("One step", Due=0)
        ruler.digest = False
        first = self._create_invoice(collection_ruler_id=ruler.id)
        second = self._create_invoice(collection_ruler_id=ruler.id)
        other = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=ruler.id
        )
        with self.mock_mail_gateway():
            counters = self._run(day(0))
            self.assertEqual((counters["done"], counters["deferred"]), (2, 1))
            self.assertEqual(len(self._mails_to(self.customer)), 1)
            self.assertEqual(len(self._mails_to(self.customer_2)), 1, "its own cap")
            self.assertEqual(self._run(day(1))["done"], 1)
        self.assertEqual(
            (first | second | other).collection_event_ids.mapped("state"),
            ["done"] * 3,
        )

    def test_legal_steps_go_and_count(self):
        # A letter identifies its creditor and its debtor.
        self.company.write(
            {
                "vat": "11.222.333/0001-81",
                "street": "Avenida Paulista, 1000",
                "city": "São Paulo",
                "zip": "01310-100",
                "state_id": self.env.ref("base.state_br_sp").id,
            }
        )
        self.customer.write(
            {
                "vat": "529.982.247-25",
                "street": "Rua das Flores, 12",
                "city": "Niterói",
                "zip": "24020-000",
                "state_id": self.env.ref("base.state_br_rj").id,
            }
        )
        ruler = self.env["collection.ruler"].create(
            {
                "name": "Notice",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Debit notice",
                            "offset_days": 5,
                            "channel": "letter",
                            "letter_type": "debit_notice",
                            "letter_send_email": False,
                        }
                    )
                ],
            }
        )
        reminder = self._create_email_ruler("Reminder", Late=5)
        reminded = self._create_invoice(collection_ruler_id=reminder.id)
        noticed = self._create_invoice(collection_ruler_id=ruler.id)
        with self.mock_mail_gateway():
            counters = self._run(day(5))
        self.assertEqual((counters["done"], counters["deferred"]), (1, 1))
        self.assertEqual(noticed.collection_event_ids.state, "done", "never waits")
        self.assertEqual(
            reminded.collection_event_ids.scheduled_date,
            day(6).date(),
            "the notice counted",
        )

    def test_no_limit(self):
        self.busy_ruler.write({"contact_cap_day": 0, "contact_cap_week": 0})
        self._create_invoice(collection_ruler_id=self.busy_ruler.id)
        self._create_invoice(collection_ruler_id=self.busy_ruler.id)
        with self.mock_mail_gateway():
            for offset in (0, 2, 4, 5):
                self.assertEqual(self._run(day(offset))["done"], 2)
