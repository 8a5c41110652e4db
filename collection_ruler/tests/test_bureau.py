import csv
import io
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import day
from .test_letters import CollectionLetterCommon


@tagged("post_install", "-at_install")
class TestCreditBureau(CollectionLetterCommon):
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

    def _run_at(self, when):
        with (
            freeze_time(when),
            self.mock_mail_gateway(),
        ):
            return self._run(when)

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
        # The state's 20 days from the notice, delivered on D+35, and the
        # notice gave until D+55 to pay: the registration waits until D+56.
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

    def test_letter_waiting_to_be_printed_holds_the_registration(self):
        self.customer.email = False
        move = self._create_invoice()
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._run_at(day(5))
            self._run_at(day(35))
        bureau = self._events(move)[self.step_bureau]
        self.assertEqual(bureau.state, "scheduled")
        self.assertEqual(bureau.scheduled_date, day(36).date())
        self.assertIn("not been printed", bureau.failure_reason)
        # Printed on D+36: the 10 days of RJ run from then.
        notice = self._events(move)[self.step_debit]
        notice.letter_printed_at = day(36)
        self._run_at(day(36))
        self.assertEqual(bureau.scheduled_date, day(46).date())
        self._run_at(day(46))
        self.assertEqual(bureau.state, "done")

    def test_debtor_without_cpf_cnpj_fails(self):
        self.customer.vat = False
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        event = self._events(move)[self.step_bureau]
        self.assertEqual(event.state, "failed")
        self.assertIn("has no valid CPF/CNPJ", event.failure_reason)

    def test_payment_requests_removal_within_5_business_days(self):
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        registration.with_user(self.manager).action_mark_registered()
        self.assertEqual(registration.state, "registered")
        # Paid on Friday 24 April 2026, by an invoicing user.
        with freeze_time(date(2026, 4, 24)):
            self.env["account.payment.register"].with_user(
                self.salesperson
            ).with_context(active_model="account.move", active_ids=move.ids).create(
                {"amount": 1000.0, "payment_date": date(2026, 4, 24)}
            )._create_payments()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertRecordValues(
            registration,
            [
                {
                    "state": "removal_requested",
                    "removal_requested_date": date(2026, 4, 24),
                    # Five business days; 1 May is a national holiday.
                    "removal_deadline": date(2026, 5, 4),
                }
            ],
        )
        activity = registration.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, date(2026, 5, 4))
        self.assertTrue(
            activity.user_id.has_group("collection_ruler.group_collection_manager"),
            "a collection manager, who can see the registration",
        )
        # The rest of the ruler stops too.
        self.assertEqual(
            self._events(move)[
                self.env.ref("collection_ruler.collection_ruler_step_nej_heavy")
            ].state,
            "cancelled",
        )
        registration.with_user(self.manager).action_mark_removed()
        self.assertEqual(registration.state, "removed")
        self.assertFalse(registration.activity_ids)

    def test_cron_catches_debts_ended_without_a_payment(self):
        """A credit note reverses the invoice without any hook: the cron sees it."""
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        with freeze_time(day(35)):
            registration.with_user(self.manager).action_export_csv()
        self.assertEqual(registration.exported_date, day(35).date())
        self.env.cr.execute(
            "UPDATE account_move SET payment_state = 'reversed' WHERE id = %s",
            [move.id],
        )
        move.invalidate_recordset(["payment_state"])
        self.assertEqual(registration.state, "to_register")
        with self.mock_mail_gateway():
            self._run(day(40))
        self.assertEqual(registration.state, "removal_requested")
        self.assertTrue(
            registration.message_ids.filtered(
                lambda m: "The invoice was reversed." in m.body
            )
        )

    def test_never_exported_registration_is_cancelled(self):
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        with freeze_time(day(36)):
            move.with_user(self.manager).collection_excluded = True
        self.assertEqual(registration.state, "cancelled")
        self.assertFalse(registration.activity_ids, "nothing to ask the bureau")

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
        # RJ: 10 days from the notice, and after the notice's deadline.
        self.assertEqual(events[self.step_bureau].scheduled_date, day(72).date())
        self.assertEqual((counters["done"], counters["deferred"]), (1, 1))

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
