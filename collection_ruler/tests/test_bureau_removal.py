"""Removal on time: five business days (STJ, Súmula 548) from the first
business day after the money is available (REsp 1.424.792/BA)."""

from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import day
from .test_bureau import CreditBureauCommon


@tagged("post_install", "-at_install")
class TestBureauRemoval(CreditBureauCommon):
    def _registered(self):
        move = self._create_invoice()
        self._run_at(day(5))
        self._run_at(day(35))
        registration = self._events(move)[self.step_bureau].registration_id
        registration.with_user(self.manager).action_mark_registered()
        return move, registration

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
        # Due the business day before the deadline, across the holiday.
        self.assertEqual(activity.date_deadline, date(2026, 4, 30))
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

    def test_deadline_counts_from_the_bank_statement_across_a_holiday(self):
        """The money reached the bank on Wednesday 29 April 2026; the invoice
        is reconciled with it a week later: the deadline runs from the
        statement, and 1 May does not count."""
        move, registration = self._registered()
        receivable = move.line_ids.filtered(
            lambda line: line.account_type == "asset_receivable"
        )
        with freeze_time(date(2026, 5, 6)):
            st_line = self.env["account.bank.statement.line"].create(
                {
                    "payment_ref": move.name,
                    "journal_id": self.company_data["default_journal_bank"].id,
                    "partner_id": self.customer.id,
                    "amount": 1000.0,
                    "date": date(2026, 4, 29),
                }
            )
            # Without the bank reconciliation widget (enterprise), as Odoo's
            # own tests do.
            _liquidity, suspense, _other = st_line.with_context(
                skip_account_move_synchronization=True
            )._seek_for_lines()
            suspense.account_id = receivable.account_id
            (suspense + receivable).reconcile()
        self.assertEqual(move.payment_state, "paid")
        self.assertRecordValues(
            registration,
            [
                {
                    "state": "removal_requested",
                    "removal_requested_date": date(2026, 5, 6),
                    "payment_available_date": date(2026, 4, 29),
                    # 30 April, (1 May), 4, 5, 6 and 7 May: not 13 May.
                    "removal_deadline": date(2026, 5, 7),
                }
            ],
        )
        # One business day left: the manager's to-do is due today.
        self.assertEqual(registration.activity_ids.date_deadline, date(2026, 5, 6))
        with freeze_time(date(2026, 5, 8)):
            late = self.Registration.search([("removal_late", "=", True)])
            self.assertTrue(registration.removal_late)
        self.assertIn(registration, late)

    def test_a_payment_dated_earlier_counts_from_its_date(self):
        move, registration = self._registered()
        with freeze_time(date(2026, 5, 6)):
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=move.ids
            ).create(
                {"amount": 1000.0, "payment_date": date(2026, 4, 30)}
            )._create_payments()
        self.assertRecordValues(
            registration,
            [
                {
                    "payment_available_date": date(2026, 4, 30),
                    # (1 May), 4, 5, 6, 7 and 8 May.
                    "removal_deadline": date(2026, 5, 8),
                }
            ],
        )
        self.assertEqual(registration.activity_ids.date_deadline, date(2026, 5, 7))
