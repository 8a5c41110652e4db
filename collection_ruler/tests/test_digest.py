"""One digest per customer: the invoices of one customer with a step due the
same day on the same channel share one message, with one pay link."""

from datetime import timedelta

from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.sms.tests.common import SMSCommon

from .common import DUE_DATE, CollectionRulerCommon, day
from .test_letters import CollectionLetterCommon, page_count


@tagged("post_install", "-at_install")
class TestDigest(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Steps on any day: contact hours have tests of their own.
        cls.env["collection.contact.window"].search([]).active = False
        cls.reminders = cls._create_email_ruler("Reminders", Before=-3, Due=0)
        cls.step_before, cls.step_on_due = cls.reminders.step_ids
        cls.step_before.mail_template_id = cls.env.ref(
            "collection_ruler.mail_template_collection_before_due"
        )

    def _invoices(self, ruler, *dues, partner=None):
        return [
            self._create_invoice(
                partner=partner, due=due, amount=amount, collection_ruler_id=ruler.id
            )
            for due, amount in zip(dues, (1000.0, 500.0, 250.0), strict=False)
        ]

    def test_three_invoices_colliding_give_one_email_listing_all(self):
        first, second, third = self._invoices(
            self.reminders, DUE_DATE, DUE_DATE, DUE_DATE + timedelta(days=3)
        )
        alone = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=self.reminders.id
        )
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual((counters["done"], counters["deferred"]), (4, 0))
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1, "one email for the three invoices")
        for move in (first, second, third):
            self.assertIn(move.name, mail.body_html)
            self.assertIn(move.name, mail.subject)
        self.assertIn("1,750.00", mail.body_html, "the total")
        self.assertIn("/collection/pay/", mail.body_html, "one pay link for all")
        self.assertIn("Your invoices", mail.body_html, "the layout names them all")
        self.assertEqual(mail.res_id, first.id, "the most overdue invoice leads")
        primary = self._events(first)[self.step_on_due]
        others = (
            self._events(second)[self.step_on_due]
            | (self._events(third)[self.step_before])
        )
        self.assertEqual((primary | others).mapped("state"), ["done"] * 3)
        self.assertEqual(others.digest_event_id, primary)
        self.assertFalse(primary.digest_event_id)
        self.assertEqual((primary | others).message_id, mail.mail_message_id)
        self.assertTrue(
            second.message_ids.filtered(
                lambda m: f"sent in one message with invoice {first.name}" in m.body
            ),
            "the invoice's chatter says where it went",
        )
        # The digest is one contact for the cap.
        contacts = self.env["collection.ruler.cap"]._get_recent_contacts(
            self.customer, day(-1)
        )
        self.assertEqual(contacts[self.customer.id], [DUE_DATE])
        # Another customer's invoice is sent alone, in the single form.
        mail_2 = self._mails_to(self.customer_2)
        self.assertEqual(len(mail_2), 1)
        self.assertIn(alone.name, mail_2.body_html)
        self.assertNotIn("/collection/pay/", mail_2.body_html)
        self.assertNotIn("Your invoices", mail_2.body_html)

    def test_a_digest_costs_queries_per_message_not_per_invoice(self):
        """The queries of a run grow with its messages, not with the invoices
        each one lists (each invoice's pay link once cost a write)."""
        ruler = self._create_email_ruler("Digests", Due=0)
        Run = self.env["collection.ruler.run"].sudo()
        counts = []
        with self.mock_mail_gateway(), freeze_time(day(0)):
            for customers in (1, 2, 6):
                for index in range(customers):
                    partner = self.customer.copy(
                        {
                            "name": f"Digest {customers}-{index}",
                            "email": f"digest{customers}{index}@example.com",
                        }
                    )
                    for amount in (100.0, 200.0, 300.0, 400.0, 500.0):
                        self._create_invoice(
                            partner=partner, amount=amount, collection_ruler_id=ruler.id
                        )
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                run = Run._start("manual", rulers=ruler)
                run._process()
                self.env.flush_all()
                counts.append(self.cr.sql_log_count - before)
                self.assertEqual(run.done_count, 5 * customers)
        per_message = (counts[2] - counts[1]) / 4
        self.assertLess(per_message, 5, f"queries per digest of 5: {counts}")

    def test_the_ruler_can_send_one_email_per_invoice(self):
        self.reminders.write(
            {"digest": False, "contact_cap_day": 0, "contact_cap_week": 0}
        )
        self._invoices(self.reminders, DUE_DATE, DUE_DATE, DUE_DATE)
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(0))["done"], 3)
        self.assertEqual(len(self._mails_to(self.customer)), 3)
        self.assertFalse(self.Event.search([("digest_event_id", "!=", False)]))

    def test_a_template_without_digest_form_goes_per_invoice(self):
        template = self.env["mail.template"].create(
            {
                "name": "Plain",
                "model_id": self.env.ref("account.model_account_move").id,
                "partner_to": "{{ object.partner_id.id }}",
                "subject": "Invoice {{ object.name }}",
                "body_html": '<p>Invoice <t t-out="object.name"/></p>',
            }
        )
        self.step_on_due.mail_template_id = template
        self.reminders.contact_cap_day = 2
        first, second = self._invoices(self.reminders, DUE_DATE, DUE_DATE)
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(0))["done"], 2)
        mails = self._mails_to(self.customer)
        self.assertEqual(
            sorted(mails.mapped("subject")),
            sorted(f"Invoice {move.name}" for move in (first, second)),
            "it could not list both: one email each",
        )

    def test_a_digest_the_cap_defers_goes_whole_later(self):
        self.reminders.contact_cap_week = 1
        self._create_invoice(
            due=DUE_DATE - timedelta(days=1), collection_ruler_id=self.reminders.id
        )
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(-1))["done"], 1, "the week's contact")
            first, second = self._invoices(self.reminders, DUE_DATE, DUE_DATE)
            counters = self._run(day(0))
            self.assertEqual((counters["done"], counters["deferred"]), (0, 2))
            events = (first | second).collection_event_ids.filtered(
                lambda e: e.state == "scheduled"
            )
            self.assertEqual(events.mapped("scheduled_date"), [day(6).date()] * 2)
            self.assertEqual(self._run(day(6))["done"], 2)
        mails = self._mails_to(self.customer)
        self.assertEqual(len(mails), 2, "the earlier reminder, then one digest")
        digest = mails.filtered(lambda m: m.res_id == first.id)
        self.assertIn(second.name, digest.body_html)

    def test_two_overdue_invoices_give_one_sms(self):
        ruler = self.env["collection.ruler"].create(
            {
                "name": "SMS",
                "step_ids": [
                    (0, 0, {"name": "Text", "offset_days": 7, "channel": "sms"})
                ],
            }
        )
        first, second = self._invoices(ruler, DUE_DATE, DUE_DATE)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self.assertEqual(self._run(day(7))["done"], 2)
        events = first.collection_event_ids | second.collection_event_ids
        sms = events.sms_id
        self.assertEqual(len(sms), 1, "one SMS for both")
        self.assertIn(f"invoices {first.name}, {second.name} are overdue", sms.body)
        self.assertIn("1,500.00", sms.body)
        self.assertIn("/r/", sms.body, "the pay-all link, shortened")
        self.assertEqual(
            self.env["sms.sms"].search_count([("partner_id", "=", self.customer.id)]),
            1,
        )
        # Its delivery report reaches both events.
        tracker = self.env["sms.tracker"].sudo().search([("sms_uuid", "=", sms.uuid)])
        tracker._update_sms_notifications("sent")
        self.assertEqual(events.mapped("delivery_state"), ["delivered"] * 2)

    def test_the_digest_values_of_an_invoice_alone(self):
        move = self._create_invoice(collection_ruler_id=self.reminders.id)
        move._portal_ensure_token()
        self.assertEqual(move.collection_digest_move_ids, move)
        self.assertEqual(move.collection_digest_pay_url, move.collection_pay_url)
        self.assertEqual(move.collection_digest_amount_due, 1000.0)
        other = self._create_invoice(amount=200, collection_ruler_id=self.reminders.id)
        digest = move.with_context(
            collection_digest=((move.id, tuple((move | other).ids)),)
        )
        self.assertEqual(digest.collection_digest_move_ids, move | other)
        self.assertEqual(digest.collection_digest_amount_due, 1200.0)
        self.assertIn("/collection/pay/", digest.collection_digest_pay_url)


@tagged("post_install", "-at_install")
class TestDigestLetters(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["collection.contact.window"].search([]).active = False
        cls.step_debit = cls.env.ref(
            "collection_ruler.collection_ruler_step_debit_notice"
        )

    def _run_letters(self, when):
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            return self._run(when, force_report_rendering=True)

    def _debit_events(self, moves):
        return moves.collection_event_ids.filtered(
            lambda e: e.step_id == self.step_debit
        )

    def test_two_overdue_invoices_give_one_debit_notice(self):
        first = self._create_invoice(amount=1000)
        second = self._create_invoice(amount=500)
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        events = self._debit_events(first | second)
        self.assertEqual(events.mapped("state"), ["done"] * 2)
        self.assertEqual(len(events.letter_attachment_id), 1, "one letter")
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.attachment_ids, events.letter_attachment_id)
        _html, text = self._render_letter("debit_notice", first, day(5).date())
        self.assertIn(first.name, text)
        self.assertIn(second.name, text)
        self.assertIn("All the invoices above on one page", text)
        self.assertEqual(text.count("/r/"), 3, "each invoice's link, and one for all")

    def test_a_shared_letter_is_printed_once(self):
        self.customer.email = False
        moves = self._create_invoice() | self._create_invoice()
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        events = self._debit_events(moves)
        self.assertEqual(events.mapped("letter_to_print"), [True, True])
        letter_pages = page_count(events.letter_attachment_id.raw)
        collector = self.Event.with_user(self.salesperson).with_context(
            force_report_rendering=True
        )
        with (
            freeze_time(day(6)),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            merged = self._print_pending(collector.browse(events.ids))
            attachment = self._download_letters(merged, self.salesperson)
        self.assertEqual(page_count(attachment.raw), letter_pages, "printed once")
        self.assertEqual(events.mapped("letter_to_print"), [False, False])

    def test_the_pay_all_page(self):
        first = self._create_invoice(amount=1000)
        second = self._create_invoice(amount=500)
        url = (first | second)._collection_get_pay_all_url()
        path = url[url.index("/collection/pay/") :]
        with freeze_time(day(5)):
            response = self.url_open(path)
        self.assertEqual(response.status_code, 200)
        self.assertIn(first.name, response.text)
        self.assertIn(second.name, response.text)
        # 1,021.67 + 510.83: a 2% fine and 1% a month for 5 days on each.
        self.assertIn("1,532.50", response.text, "the updated total")
        forged = path.replace(f"{first.id}-", f"{first.id - 1}-")
        self.assertEqual(self.url_open(forged).status_code, 404)
        self.assertEqual(self.url_open(path[:-4] + "abcd").status_code, 404)
        self._pay(first, 1000, DUE_DATE)
        with freeze_time(day(5)):
            response = self.url_open(path)
        self.assertNotIn(first.name, response.text, "paid: no longer listed")
        self.assertIn(second.name, response.text)


@tagged("post_install", "-at_install")
class TestDigestTranslated(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br()
        cls.env["collection.contact.window"].search([]).active = False

    def test_a_digest_in_portuguese(self):
        self.customer.lang = "pt_BR"
        first = self._create_invoice()
        second = self._create_invoice()
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(0))["done"], 2)
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(f"as faturas {first.name}, {second.name}", mail.subject)
        self.assertIn("Estas faturas estão vencendo", mail.body_html)
        self.assertIn("visualizar e pagar todas as faturas", mail.body_html)
