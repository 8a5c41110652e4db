"""The letter step: letters queued to print, emailed, and printed."""

from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, http
from odoo.api import call_kw
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import SQL, mute_logger

from .common import DUE_DATE, day
from .test_letters import CollectionLetterCommon, page_count


@tagged("post_install", "-at_install")
class TestLetterStep(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.step_debit = cls.env.ref(
            "collection_ruler.collection_ruler_step_debit_notice"
        )

    def _run_letters(self, when):
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            return self._run(when, force_report_rendering=True)

    def test_changing_the_channel_replaces_its_defaults(self):
        """A step changed to Letter gets the letter's email template, not the
        due-date reminder it started with; WhatsApp and bureau steps keep no
        email template."""
        due_today = self.env.ref("collection_ruler.mail_template_collection_due_today")
        letter_mail = self.env.ref("collection_ruler.mail_template_collection_letter")
        form = Form(
            self.env["collection.ruler.step"].with_context(
                default_ruler_id=self.step_debit.ruler_id.id
            )
        )
        form.name = "Notice"
        self.assertEqual(form.channel, "email")
        self.assertEqual(form.mail_template_id, due_today)
        form.channel = "letter"
        self.assertEqual(form.mail_template_id, letter_mail)
        self.assertEqual(form.letter_type, "debit_notice")
        self.assertFalse(form.channel_warning)
        form.channel = "whatsapp"
        self.assertFalse(form.mail_template_id)
        self.assertFalse(form.letter_type)
        form.channel = "credit_bureau"
        self.assertFalse(form.mail_template_id)
        self.assertEqual(form.bureau, "serasa")
        form.channel = "sms"
        self.assertFalse(form.bureau)
        self.assertTrue(form.sms_template_id)
        form.channel = "letter"
        self.assertFalse(form.sms_template_id)
        self.assertEqual(form.mail_template_id, letter_mail)
        step = form.save()
        self.assertEqual(step.mail_template_id, letter_mail)

        # A letter step saved with the reminder template says so.
        step.mail_template_id = due_today
        self.assertIn("is not a letter's", step.channel_warning)
        step.letter_send_email = False
        self.assertFalse(step.channel_warning, "the letter is not emailed")

    def test_changing_the_channel_in_the_browser(self):
        """In the web client (static/tests/tours/collection_ruler_step_tour.js)."""
        ruler = self.env["collection.ruler"].create({"name": "Tour Ruler"})
        # See test_apply.py: the manifests read before the browser's requests.
        self.assertIn("collection_ruler", http.root.statics)
        self.start_tour(
            f"/odoo/action-collection_ruler.collection_ruler_action/{ruler.id}",
            "collection_ruler_step_tour",
            login=self.env.user.login,
        )
        step = ruler.step_ids
        self.assertEqual(step.name, "Tour Debit Notice")
        self.assertEqual(step.channel, "letter")
        self.assertEqual(step.letter_type, "debit_notice")
        self.assertEqual(
            step.mail_template_id,
            self.env.ref("collection_ruler.mail_template_collection_letter"),
        )

    def test_letter_emailed_with_the_step_template(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        event = self._events(move)[self.step_debit]
        self.assertEqual(event.state, "done")
        self.assertEqual(event.letter_delivery, "email")
        self.assertFalse(event.letter_to_print)
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn("letter about invoice", mail.subject)
        # 1,000.00 + a 2% fine + 1% a month for 5 days.
        self.assertIn("1,021.67", mail.body_html, "the amount with fine and interest")
        self.assertEqual(
            mail.attachment_ids.mapped("name"),
            [f"Debit notice - {move.name}.pdf"],
        )
        letter = event.letter_attachment_id
        self.assertEqual((letter.res_model, letter.res_id), ("account.move", move.id))
        self.assertTrue(letter.raw.startswith(b"%PDF"))
        self.assertIn(letter, event.message_id.attachment_ids)
        self.assertFalse(
            move.message_ids.filtered(lambda m: "not updated" in str(m.body)),
            "no attachment import on a posted invoice",
        )

    def test_crash_between_two_letters_of_a_batch(self):
        self.when = day(5)
        self.customer_2.vat = "11.444.777/0001-61"
        ruler = self.env["collection.ruler"].create(
            {
                "name": "Debit notice only",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Notice",
                            "offset_days": 5,
                            "channel": "letter",
                            "letter_send_email": True,
                        }
                    )
                ],
            }
        )

        def count_emailed_letters(moves):
            return self.env["mail.mail"].search_count(
                [
                    ("model", "=", "account.move"),
                    ("res_id", "in", [m.id for m in moves]),
                    ("attachment_ids", "!=", False),
                ]
            )

        with self.mock_mail_gateway():
            self._crash_between_invoices(
                ruler.step_ids,
                lambda partner: self._create_invoice(
                    partner=partner, collection_ruler_id=ruler.id
                ),
                count_emailed_letters,
            )

    def test_letters_without_email_wait_to_be_printed(self):
        self.customer.email = False
        self.customer_2.write(
            {
                "email": False,
                "vat": "11.444.777/0001-61",
                "street": "Rua Chile, 7",
                "city": "Salvador",
            }
        )
        moves = self._create_invoice() | self._create_invoice(partner=self.customer_2)
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        self.assertFalse(self._new_mails, "nothing emailed")
        events = moves.collection_event_ids.filtered(
            lambda e: e.step_id == self.step_debit
        )
        self.assertEqual(events.mapped("state"), ["done", "done"])
        self.assertEqual(events.mapped("letter_to_print"), [True, True])
        self.assertEqual(self.Event.search([("letter_to_print", "=", True)]), events)
        pages = sum(page_count(e.letter_attachment_id.raw) for e in events)

        # A collector (invoicing user) prints them.
        collector = self.Event.with_user(self.salesperson).with_context(
            force_report_rendering=True
        )
        with (
            freeze_time(day(6)),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            blocked = self._print_pending(collector)
        # A popup blocker stopped the download: nothing was printed.
        self.assertEqual(events.mapped("letter_to_print"), [True, True])
        self.assertEqual(events.mapped("letter_delivery"), ["print", "print"])
        self.assertFalse(events.evidence_ids)
        with (
            freeze_time(day(6)),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            action = self._print_pending(collector)
        self.assertNotEqual(action["url"], blocked["url"])
        self.assertEqual(events.mapped("letter_to_print"), [True, True])
        # The collector's browser opens the link: the PDF is served, and only
        # then are the letters printed.
        self.salesperson.password = "collector-password"
        self.authenticate("collector", "collector-password")
        with freeze_time(day(6)):
            response = self.url_open(action["url"])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(page_count(response.content), pages, "one PDF of both")
        self.assertIn("attachment", response.headers["Content-Disposition"])
        self.env.invalidate_all()
        self.assertEqual(events.mapped("letter_to_print"), [False, False])
        self.assertEqual(events.mapped("letter_printed_at"), [day(6), day(6)])
        self.assertEqual(events.mapped("delivery_state"), ["printed", "printed"])
        self.assertEqual(len(events.evidence_ids), 2)
        with self.assertRaisesRegex(UserError, "No letter is waiting to be printed"):
            self._print_pending(self.Event)
        # The route serves the letters' PDFs, no other attachment.
        other = self.env["ir.attachment"].create({"name": "private", "raw": b"x"})
        response = self.url_open(f"/collection_ruler/letters/{other.id}")
        self.assertEqual(response.status_code, 404)
        attachment_id = int(action["url"].rsplit("/", 1)[1])

        # The merged PDF holds personal data of no record: gone after a day.
        merged = collector.env["ir.attachment"].browse(attachment_id)
        self.env.cr.execute(
            SQL(
                "UPDATE ir_attachment SET create_date = %s WHERE id = %s",
                day(6),
                merged.id,
            )
        )
        self.env.invalidate_all()
        with freeze_time(day(8)):
            self.env["collection.bureau.export"]._gc_exported_files()
        self.assertFalse(merged.exists())
        self.assertTrue(events.letter_attachment_id.exists(), "each letter stays")

    def test_letter_withdrawn_when_the_invoice_is_paid_before_printing(self):
        self.customer.email = False
        move = self._create_invoice()
        self._run_letters(day(5))
        event = self._events(move)[self.step_debit]
        self.assertTrue(event.letter_to_print)
        self._pay(move, 1000.0, day(6).date())
        with self.assertRaises(UserError):
            self._print_pending(self.Event)
        self.assertEqual(event.letter_delivery, "withdrawn")
        self.assertFalse(event.letter_printed_at)

    def test_printing_withdraws_a_letter_paid_behind_the_hooks(self):
        """Printing checks each invoice again, whatever the hooks missed."""
        self.customer.email = False
        self.customer_2.write(
            {
                "email": False,
                "vat": "11.444.777/0001-61",
                "street": "Rua Chile, 7",
                "city": "Salvador",
            }
        )
        paid = self._create_invoice()
        due = self._create_invoice(partner=self.customer_2)
        self._run_letters(day(5))
        paid_letter = self._events(paid)[self.step_debit]
        due_letter = self._events(due)[self.step_debit]
        self.assertTrue(paid_letter.letter_to_print and due_letter.letter_to_print)
        # Paid as an import or a bank module might write it: no hook runs.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE account_move SET payment_state = 'paid' WHERE id = %s",
                paid.id,
            )
        )
        self.env.invalidate_all()
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._download_letters(
                self._print_pending(
                    self.Event.with_context(force_report_rendering=True)
                )
            )
        self.assertEqual(paid_letter.letter_delivery, "withdrawn")
        self.assertFalse(paid_letter.letter_printed_at)
        self.assertEqual(due_letter.letter_delivery, "print")
        self.assertTrue(due_letter.letter_printed_at)

    def test_print_button_on_a_selection(self):
        """The list button calls the method on the selected records."""
        self.customer.email = False
        self.customer_2.write(
            {
                "email": False,
                "vat": "11.444.777/0001-61",
                "street": "Rua Chile, 7",
                "city": "Salvador",
            }
        )
        move = self._create_invoice()
        other = self._create_invoice(partner=self.customer_2)
        self._run_letters(day(5))
        selected = self._events(move)[self.step_debit]
        with (
            freeze_time(day(9)),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            # As the web client does: the dialog opened on the selection,
            # then its button.
            context = {
                "active_model": "collection.ruler.event",
                "active_ids": selected.ids,
                "force_report_rendering": True,
            }
            Wizard = self.env["collection.letter.print"]
            wizard_id = call_kw(Wizard, "create", [{}], {"context": context})
            action = call_kw(
                Wizard, "action_print", [[wizard_id]], {"context": context}
            )
            self._download_letters(action)
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(selected.letter_printed_at, day(9))
        self.assertTrue(self._events(other)[self.step_debit].letter_to_print)
        # Reprinted on the day it is mailed: the deadline runs from then, and
        # from its arrival ten business days later (Thursday 19 March to
        # Thursday 2 April), ten days on: Sunday 12 April, so Monday 13.
        self.assertEqual(selected.letter_deadline, day(34).date())

    def test_letter_needs_the_creditor_identification(self):
        self.company.vat = False
        move = self._create_invoice()
        with mute_logger("odoo.addons.collection_ruler.models.collection_ruler_event"):
            self._run_letters(day(5))
        event = self._events(move)[self.step_debit]
        self.assertEqual(event.state, "failed")
        self.assertIn("must identify the creditor", event.failure_reason)

    def test_letter_step_needs_its_letter_and_template(self):
        with self.assertRaises(ValidationError):
            self.step_debit.letter_type = False
        with self.assertRaises(ValidationError):
            self.step_debit.mail_template_id = False
        self.step_debit.write({"letter_send_email": False, "mail_template_id": False})
        self.assertFalse(self.step_debit.mail_template_id)


@tagged("post_install", "-at_install")
class TestOneLetterPerDebt(CollectionLetterCommon):
    """An invoice an earlier letter claimed gets no second letter of that kind
    while the earlier letter's deadline runs."""

    def _notice_ruler(self, name="Notices"):
        return self.env["collection.ruler"].create(
            {
                "name": name,
                "step_ids": [
                    Command.create(
                        {
                            "name": "Debit notice",
                            "offset_days": 5,
                            "channel": "letter",
                            "letter_type": "debit_notice",
                        }
                    )
                ],
            }
        )

    def _run_letters(self, when):
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            return self._run(when, force_report_rendering=True)

    def test_a_notice_covers_the_invoices_it_claims(self):
        ruler = self._notice_ruler()
        self.customer.collection_ruler_id = ruler
        first = self._create_invoice()
        second = self._create_invoice(due=DUE_DATE + timedelta(days=3))
        later = self._create_invoice(due=DUE_DATE + timedelta(days=40))
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        notice = first.collection_event_ids
        self.assertEqual(notice.state, "done")
        self.assertEqual(notice.letter_move_ids, first | second, "both overdue")
        deadline = notice.letter_deadline
        self.assertGreater(deadline, day(8).date())
        self.assertEqual(len(self._mails_to(self.customer)), 1)

        # Day 8: the second invoice's notice is due, and already claimed.
        with self.mock_mail_gateway():
            counts = self._run_letters(day(8))
        self.assertFalse(self._new_mails, "no second notice")
        covered = second.collection_event_ids
        self.assertEqual(covered.state, "done")
        self.assertEqual(covered.covered_event_id, notice)
        self.assertEqual(covered.letter_deadline, deadline)
        self.assertFalse(covered.letter_attachment_id)
        self.assertIn(first.name, covered.failure_reason)
        self.assertEqual(counts["done"], 1)
        self.assertIn("no second letter", second.message_ids[0].body)
        # The covered step proves its notice through the covering letter.
        self.assertEqual(
            self.env["collection.notice.proof"]._get_proof(covered),
            self.env["collection.notice.proof"]._get_proof(notice),
            "same proof",
        )
        self.assertEqual(
            self.env["collection.channel.credit_bureau"]._get_debit_notices(covered),
            notice,
        )

        # After the deadline, an invoice the letter did not claim gets its own.
        with self.mock_mail_gateway():
            self._run_letters(day(45))
        own = later.collection_event_ids
        self.assertEqual(own.state, "done")
        self.assertFalse(own.covered_event_id)
        self.assertTrue(own.letter_attachment_id)

    def test_the_letter_email_lists_what_the_letter_claims(self):
        self.customer.collection_ruler_id = self._notice_ruler()
        first = self._create_invoice(due=DUE_DATE - timedelta(days=3))
        second = self._create_invoice()
        with self.mock_mail_gateway():
            self._run_letters(day(2))
        mail = self._mails_to(self.customer)
        self.assertEqual(len(mail), 1)
        self.assertIn(f"invoices {first.name}, {second.name}", mail.subject)
        for move in first | second:
            self.assertIn(move.name, mail.body_html)
        # Each 1,000.00 with a 2% fine and 1% a month: 5 days late,
        # 1,000 + 20 + 1.67, and 2 days late, 1,000 + 20 + 0.67.
        self.assertIn("2,042.34", mail.body_html, "the total the letter asks")
        self.assertIn("2,000.00", mail.body_html, "the amount due of both")
        pay_all = (first | second)._collection_get_pay_all_url()
        self.assertIn(pay_all.replace("&", "&amp;"), mail.body_html)
        self.assertEqual(
            mail.attachment_ids.mapped("name"),
            [f"Debit notice - {first.name}, {second.name}.pdf"],
        )
        notice = first.collection_event_ids
        self.assertEqual(notice.letter_move_ids, first | second)
        self.assertEqual(notice.letter_attachment_id.name, mail.attachment_ids.name)

    def test_a_new_ruler_sends_no_second_notice_the_same_day(self):
        self.company.collection_ruler_id = self._notice_ruler("First")
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        first = move.collection_event_ids.filtered(lambda e: e.state == "done")
        self.assertEqual(len(first), 1)
        # The manager changes the company's default ruler the same day.
        with freeze_time(day(5)):
            self.company.collection_ruler_id = self._notice_ruler("Second")
        # The scheduled action moves the invoice to it, then runs its steps.
        with (
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            self._run(day(5) + timedelta(hours=2))
        self.assertFalse(self._new_mails, "no second notice for the same debt")
        second = move.collection_event_ids - first
        self.assertEqual(second.step_id.ruler_id.name, "Second")
        self.assertEqual(second.state, "done")
        self.assertEqual(second.covered_event_id, first)

    def test_the_preview_shows_a_covered_notice(self):
        self.customer.collection_ruler_id = self._notice_ruler()
        first = self._create_invoice()
        second = self._create_invoice(due=DUE_DATE + timedelta(days=3))
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        self.cron.nextcall = day(6)
        with freeze_time(day(6)):
            preview = self.env["collection.ruler.preview"].create({"days": 5})
            preview.action_preview()
        line = preview.line_ids.filtered(lambda line: line.move_id == second)
        self.assertEqual(line.outcome, "cover")
        self.assertIn(first.name, line.reason)
        self.assertEqual(preview.message_count, 0, "nothing goes out")
        self.assertEqual(second.collection_event_ids.state, "scheduled")


@tagged("post_install", "-at_install")
class TestLetterRecipient(CollectionLetterCommon):
    """No letter without a debtor to send it to."""

    def _run_letters(self, when):
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            return self._run(when, force_report_rendering=True)

    def _notice(self, move):
        step = self.env.ref("collection_ruler.collection_ruler_step_debit_notice")
        return self._events(move)[step]

    def test_a_letter_to_post_needs_an_address(self):
        self.customer.write({"email": False, "street": False})
        move = self._create_invoice()
        self._run_letters(day(5))
        notice = self._notice(move)
        self.assertEqual(notice.state, "failed")
        self.assertIn("has no postal address", notice.failure_reason)
        self.assertFalse(notice.letter_attachment_id, "nothing to print")
        self.assertFalse(self.Event.search([("letter_to_print", "=", True)]))

    def test_an_emailed_letter_needs_no_address(self):
        self.customer.street = False
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        notice = self._notice(move)
        self.assertEqual(notice.state, "done")
        self.assertEqual(notice.letter_delivery, "email")

    def test_a_debit_notice_needs_the_debtors_tax_id(self):
        self.customer.vat = False
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run_letters(day(5))
        notice = self._notice(move)
        self.assertEqual(notice.state, "failed")
        self.assertIn("has no valid CPF or CNPJ", notice.failure_reason)
        self.assertFalse(self._mails_to(self.customer), "no notice emailed")
        self.assertFalse(notice.letter_attachment_id)
