import csv
import io
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import day
from .test_letters import CollectionLetterCommon


class CreditBureauCommon(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Registration = cls.env["collection.bureau.registration"]
        cls.step_debit = cls.env.ref(
            "collection_ruler.collection_ruler_step_debit_notice"
        )
        cls.step_bureau = cls.env.ref(
            "collection_ruler.collection_ruler_step_credit_bureau"
        )
        cls.manager = mail_new_test_user(
            cls.env,
            login="collection_manager",
            name="Marta Manager",
            email="marta@company.example.com",
            groups="base.group_user,account.group_account_invoice,"
            "collection_ruler.group_collection_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _run_at(self, when, send_mails=True):
        """Run at ``when``; the mail queue then sends what the run queued: an
        emailed notice is proven once the mail server accepts it."""
        with (
            freeze_time(when),
            self.mock_mail_gateway(),
        ):
            counters = self._run(when)
            if send_mails:
                self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
            return counters


@tagged("post_install", "-at_install")
class TestCreditBureau(CreditBureauCommon):
    def test_walk_the_standard_ruler(self):
        """Each step of the shipped ruler on its own day, nothing in between."""
        move = self._create_invoice()
        ref = self.env.ref
        expected = {
            -3: self.step_before,
            0: self.step_due,
            3: self.step_call,
            4: None,
            5: self.step_debit,
            7: self.step_sms,
            15: ref("collection_ruler.collection_ruler_step_nej_light"),
            20: None,
            30: ref("collection_ruler.collection_ruler_step_nej_moderate"),
            35: self.step_bureau,
            36: None,
            60: ref("collection_ruler.collection_ruler_step_nej_heavy"),
        }
        for offset, step in expected.items():
            with self.subTest(day=offset):
                counters = self._run_at(day(offset))
                self.assertEqual(counters["done"], 1 if step else 0)
                self.assertFalse(counters["failed"] or counters["skipped"])
                if step:
                    event = self._events(move)[step]
                    self.assertEqual(
                        (event.state, event.executed_at), ("done", day(offset))
                    )
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"done"})
        letters = move.collection_event_ids.filtered(lambda e: e.channel == "letter")
        self.assertEqual(len(letters.letter_attachment_id), 4)
        self.assertEqual(set(letters.mapped("letter_delivery")), {"email"})
        self.assertEqual(
            self.Registration.search([("move_id", "=", move.id)]).state,
            "to_register",
        )

    def test_crash_between_two_registrations_of_a_batch(self):
        self.when = day(35)
        self.customer_2.write(
            {
                "vat": "11.444.777/0001-61",
                "state_id": self.env.ref("base.state_br_rj").id,
            }
        )
        ruler = self.env["collection.ruler"].create(
            {
                "name": "Notice, then the bureau",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Notice",
                            "offset_days": 5,
                            "channel": "letter",
                            "letter_send_email": True,
                        }
                    ),
                    Command.create(
                        {
                            "name": "Bureau",
                            "offset_days": 30,
                            "channel": "credit_bureau",
                        }
                    ),
                ],
            }
        )
        bureau = ruler.step_ids.filtered(lambda step: step.channel == "credit_bureau")

        def count_registrations(moves):
            return self.Registration.search_count(
                [("move_id", "in", [m.id for m in moves])]
            )

        def deliver_the_notices(moves):
            self.assertEqual(self._run(day(5))["done"], 4)
            # The mail server accepts them: the notices are proven.
            with freeze_time(day(5)):
                mails = (
                    self.env["mail.mail"].sudo().search([("state", "=", "outgoing")])
                )
                mails.send()

        with self.mock_mail_gateway():
            self._crash_between_invoices(
                bureau,
                lambda partner: self._create_invoice(
                    partner=partner, collection_ruler_id=ruler.id
                ),
                count_registrations,
                prepare=deliver_the_notices,
            )

    def test_registration_after_the_notice_period(self):
        """Debit notice at D+5, registration at D+35: the RJ period has run."""
        move = self._create_invoice()
        self._run_at(day(5))
        notice = self._events(move)[self.step_debit]
        self.assertEqual((notice.state, notice.letter_delivery), ("done", "email"))
        counters = self._run_at(day(35))
        self.assertEqual(counters["done"], 1)
        event = self._events(move)[self.step_bureau]
        self.assertEqual(event.state, "done")
        registration = event.registration_id
        self.assertRecordValues(
            registration,
            [
                {
                    "state": "to_register",
                    "bureau": "serasa",
                    "move_id": move.id,
                    "partner_id": self.customer.id,
                    "debtor_name": "Padaria Pão Quente",
                    "debtor_vat": "529.982.247-25",
                    "debtor_is_individual": True,
                    "debtor_city": "Niterói",
                    "debtor_state": "RJ",
                    "amount_original": 1000.0,
                    "amount_due": 1000.0,
                    "due_date": day(0).date(),
                    "debit_notice_date": day(5).date(),
                    "company_id": self.company.id,
                }
            ],
        )
        self.assertTrue(registration.name.startswith("CBR/2026/"))

    def test_deferred_until_the_state_period_then_executed(self):
        """A late first run sends the notice and defers the registration."""
        sp = self.env.ref("base.state_br_sp")
        # A state's period of the company's own (none ships: see test_migration).
        self.env["collection.bureau.notice.period"].create(
            {"state_id": sp.id, "days": 20, "note": "Our bureau contract"}
        )
        self.customer.state_id = sp
        move = self._create_invoice()
        counters = self._run_at(day(35))
        events = self._events(move)
        # The debit notice is a legal step: never skipped by a late run.
        self.assertEqual(events[self.step_debit].state, "done")
        self.assertEqual(events[self.step_call].state, "skipped")
        bureau = events[self.step_bureau]
        self.assertEqual(counters["deferred"], 1)
        # The notice was only queued when the registration's turn came in
        # the same run: no proof of delivery yet, so it waits a day.
        self.assertEqual(bureau.scheduled_date, day(36).date())
        self.assertIn("No proof yet", bureau.failure_reason)
        self._run_at(day(36))
        # The state's 20 days from the notice, accepted by the mail server on
        # D+35, and the notice gave until D+55 to pay: it waits until D+56.
        self.assertEqual(events[self.step_debit].letter_deadline, day(55).date())
        self.assertRecordValues(
            bureau,
            [
                {
                    "state": "scheduled",
                    "scheduled_date": day(56).date(),
                    "deferred_until": day(56).date(),
                }
            ],
        )
        self.assertIn("with the 20 days of notice", bureau.failure_reason)
        self.assertFalse(self.Registration.search([("move_id", "=", move.id)]))
        # A rescheduling keeps the deferral.
        move._collection_sync_events()
        self.assertEqual(bureau.scheduled_date, day(56).date())
        self._run_at(day(55))
        self.assertEqual(bureau.state, "scheduled")
        self._run_at(day(56))
        self.assertEqual(bureau.state, "done")
        self.assertEqual(bureau.registration_id.debit_notice_date, day(35).date())

    def test_no_debit_notice_fails_clearly(self):
        self.step_debit.active = False
        move = self._create_invoice()
        self._run_at(day(35))
        event = self._events(move)[self.step_bureau]
        self.assertEqual(event.state, "failed")
        self.assertIn("No debit notice was sent", event.failure_reason)
        self.assertFalse(self.Registration.search([("move_id", "=", move.id)]))

    def test_debtor_without_cpf_cnpj_fails(self):
        self.customer.vat = False
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        event = self._events(move)[self.step_bureau]
        self.assertEqual(event.state, "failed")
        self.assertIn("has no valid CPF/CNPJ", event.failure_reason)

    def test_late_debit_notice_goes_out_alone(self):
        """A run late enough for a notice letter sends the debit notice only."""
        move = self._create_invoice()
        counters = self._run_at(day(16))
        events = self._events(move)
        light = self.env.ref("collection_ruler.collection_ruler_step_nej_light")
        self.assertEqual(events[self.step_debit].state, "done")
        self.assertEqual(events[light].state, "skipped")
        self.assertEqual((counters["done"], counters["skipped"]), (1, 5))
        self.assertEqual(events[self.step_debit].letter_delivery, "email")

    def test_very_late_first_run(self):
        """At D+61: the debit notice alone, the registration deferred."""
        move = self._create_invoice()
        counters = self._run_at(day(61))
        events = self._events(move)
        heavy = self.env.ref("collection_ruler.collection_ruler_step_nej_heavy")
        self.assertEqual(events[self.step_debit].state, "done")
        self.assertEqual(events[heavy].state, "skipped")
        self.assertEqual(events[self.step_bureau].state, "scheduled")
        self.assertEqual((counters["done"], counters["deferred"]), (1, 1))
        # No proof of the notice yet during that run; the next day, 10 days
        # from the mail server's acceptance, and after the notice's deadline.
        self.assertEqual(events[self.step_bureau].scheduled_date, day(62).date())
        self._run_at(day(62))
        self.assertEqual(events[self.step_bureau].scheduled_date, day(72).date())

    def test_old_debt_refused_through_a_run(self):
        move = self._create_invoice()
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._run_at(datetime(2031, 3, 11, 12))
        events = self._events(move)
        self.assertEqual(events[self.step_debit].state, "done", "sent alone")
        self.assertEqual(events[self.step_bureau].state, "failed")
        self.assertRegex(
            events[self.step_bureau].failure_reason, "more than five years ago"
        )

    def test_invalid_document_refused_through_a_run(self):
        self.customer.vat = False
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        event = self._events(move)[self.step_bureau]
        self.assertEqual(event.state, "failed")
        self.assertRegex(event.failure_reason, "has no valid CPF/CNPJ")

    def test_registrations_at_the_bureau_cannot_be_deleted(self):
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        registration.action_mark_registered()
        with self.assertRaises(UserError):
            registration.with_user(self.manager).unlink()

    def test_csv_export(self):
        self.customer_2.write(
            {"vat": "11.444.777/0001-61", "is_company": True, "city": "Rio"}
        )
        moves = self._create_invoice() | self._create_invoice(partner=self.customer_2)
        self._run_at(day(5))
        self._run_at(day(35))
        registrations = self.Registration.search([("move_id", "in", moves.ids)])
        self.assertEqual(len(registrations), 2)
        action = registrations.with_user(self.manager).action_export_csv()
        self.assertIn("/web/content/", action["url"])
        rows = sorted(
            csv.DictReader(
                io.StringIO(
                    self.env["collection.bureau.export"]._get_csv(registrations)
                )
            ),
            key=lambda row: row["invoice"],
        )
        self.assertEqual(
            [(r["document_type"], r["document"], r["invoice"]) for r in rows],
            [
                ("CPF", "52998224725", moves[0].name),
                ("CNPJ", "11444777000161", moves[1].name),
            ],
        )
        self.assertEqual(rows[0]["amount_due"], "1000.00")
        self.assertEqual(rows[0]["due_date"], "2026-03-10")
        self.assertEqual(rows[0]["debit_notice_date"], "2026-03-15")
        self.assertEqual(rows[0]["creditor_document"], "11222333000181")
        # A name a spreadsheet would run as a formula is quoted.
        registrations[0].debtor_name = '=HYPERLINK("http://x")'
        rows = list(
            csv.DictReader(
                io.StringIO(
                    self.env["collection.bureau.export"]._get_csv(registrations[0])
                )
            )
        )
        self.assertEqual(rows[0]["debtor_name"], '\'=HYPERLINK("http://x")')

    def test_exported_files_are_deleted_after_a_day(self):
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        with freeze_time(day(35)):
            action = registration.with_user(self.manager).action_export_csv()
        export = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        letter = self._events(move)[self.step_debit].letter_attachment_id
        # The test transaction's clock is not frozen: date the files by hand.
        self.env.cr.execute(
            "UPDATE ir_attachment SET create_date = %s WHERE id IN %s",
            [day(35), (export.id, letter.id)],
        )
        self.env.invalidate_all()
        with freeze_time(day(35) + timedelta(hours=12)):
            self.env["collection.bureau.export"]._gc_exported_files()
        self.assertTrue(export.exists())
        with freeze_time(day(37)):
            deleted = self.env["collection.bureau.export"]._gc_exported_files()
        self.assertIn(export, deleted)
        self.assertFalse(export.exists())
        self.assertTrue(letter.exists(), "letters kept on their invoice stay")

    def test_only_managers_see_registrations(self):
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        with self.assertRaises(AccessError):
            registration.with_user(self.salesperson).read(["debtor_vat"])
        with self.assertRaises(AccessError):
            self.Registration.with_user(self.salesperson).search([])
        self.assertEqual(
            self.Registration.with_user(self.manager).search(
                [("move_id", "=", move.id)]
            ),
            registration,
        )
        # Another company's manager does not see it.
        other = self.env["res.company"].create({"name": "Other Company"})
        outsider = mail_new_test_user(
            self.env,
            login="other_manager",
            groups="base.group_user,collection_ruler.group_collection_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(
            self.Registration.with_user(outsider).search([("id", "=", registration.id)])
        )
        # The event's link is hidden from plain collection users too.
        event = self._events(move)[self.step_bureau]
        self.assertNotIn(
            "registration_id",
            event.with_user(self.salesperson).fields_get(attributes=["type"]),
        )

    def test_parana_rule_ships_archived_and_applies_once_turned_on(self):
        """PR Lei 22.130/2024, art. 183: 30 days after the default, a notice
        at least 5 days before."""
        parana = self.env.ref("collection_ruler.collection_bureau_notice_period_pr")
        self.assertRecordValues(
            parana, [{"active": False, "days": 5, "days_after_due": 30}]
        )
        self.assertIn("may be held unconstitutional", parana.note)
        self.customer.state_id = self.env.ref("base.state_br_pr")
        self.assertFalse(self.customer._collection_get_bureau_notice_period())
        parana.active = True
        self.assertEqual(self.customer._collection_get_bureau_notice_period(), parana)
        # The company's 10 days are longer than Paraná's 5: they apply.
        self.assertEqual(
            self.customer._collection_get_bureau_notice_days(self.company), 10
        )
        ruler = self.env["collection.ruler"].create(
            {
                "name": "Early notice, early bureau",
                "step_ids": [
                    Command.create(
                        {"name": "Notice", "offset_days": 1, "channel": "letter"}
                    ),
                    Command.create(
                        {
                            "name": "Bureau",
                            "offset_days": 15,
                            "channel": "credit_bureau",
                        }
                    ),
                ],
            }
        )
        notice_step, bureau_step = ruler.step_ids.sorted("offset_days")
        move = self._create_invoice(collection_ruler_id=ruler.id)
        self._run_at(day(1))
        notice = self._events(move)[notice_step]
        # The notice announces no registration before D+30.
        self.assertEqual(notice.letter_deadline, day(29).date())
        self._run_at(day(15))
        bureau = self._events(move)[bureau_step]
        self.assertEqual(bureau.scheduled_date, day(30).date())
        self.assertIn("30 days after the due date", bureau.failure_reason)
        self._run_at(day(29))
        self.assertEqual(bureau.state, "scheduled")
        self._run_at(day(30))
        self.assertEqual(bureau.state, "done")
