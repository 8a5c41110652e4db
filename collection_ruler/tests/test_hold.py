"""The payment hold: no dunning while the customer's money waits to be reconciled."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DUE_DATE, CollectionRulerCommon, day
from .test_letters import CollectionLetterCommon


@tagged("post_install", "-at_install")
class TestPaymentHold(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.reconcile_type = cls.env.ref(
            "collection_ruler.mail_activity_type_reconcile"
        )

    def _receive_payment(self, amount):
        """A customer payment, posted and left unreconciled."""
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": amount,
                "date": DUE_DATE,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        return payment

    def _ruler(self, *steps):
        return self.env["collection.ruler"].create(
            {
                "name": "Hold test",
                "step_ids": [
                    Command.create(
                        {"name": name, "offset_days": offset, "channel": channel}
                    )
                    for name, offset, channel in steps
                ],
            }
        )

    def _reconcile_activities(self, move):
        return move.activity_ids.filtered(
            lambda a: a.activity_type_id == self.reconcile_type
        )

    def test_a_payment_that_covers_the_invoice_holds_every_step(self):
        move = self._create_invoice()
        self._receive_payment(1000.0)
        self.assertTrue(move.invoice_has_outstanding, "Odoo offers it to reconcile")
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual((counters["done"], counters["deferred"]), (0, 1))
        self.assertFalse(self._new_mails, "nothing sent to a customer who paid")
        event = self._events(move)[self.step_due]
        self.assertEqual(event.state, "scheduled")
        self.assertEqual(event.deferred_until, day(1).date())
        self.assertEqual(
            event.failure_reason,
            "Padaria Pão Quente has $\xa01,000.00 in payments or credit notes not "
            "reconciled yet, which cover this invoice: reconcile them before "
            "collection goes on.",
        )
        activity = self._reconcile_activities(move)
        self.assertEqual(activity.user_id, self.salesperson)
        self.assertEqual(
            activity.summary,
            "Reconcile the payment of Padaria Pão Quente before collection goes on",
        )
        notes = move.message_ids.filtered(lambda m: "deferred" in (m.body or ""))
        self.assertEqual(len(notes), 1, "the hold is on the timeline")

        # The next day: still held, but no second activity and no second note.
        with self.mock_mail_gateway():
            counters = self._run(day(1))
        self.assertEqual(counters["deferred"], 1)
        self.assertEqual(len(self._reconcile_activities(move)), 1)
        notes = move.message_ids.filtered(lambda m: "deferred" in (m.body or ""))
        self.assertEqual(len(notes), 1)

        # Once reconciled, the invoice is paid and collection ends.
        credit = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("balance", "<", 0),
            ]
        )
        move.js_assign_outstanding_line(credit.id)
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(event.state, "cancelled")

    def test_a_partial_payment_lets_reminders_quote_what_is_left(self):
        ruler = self._ruler(("Due", 0, "email"), ("Notice", 5, "letter"))
        move = self._create_invoice(collection_ruler_id=ruler.id)
        self._receive_payment(400.0)
        self.assertEqual(move.collection_amount_due, 600.0)
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 1)
        mail = self._mails_to(self.customer)
        self.assertIn("600.00", mail.body_html, "the amount left after the credit")
        self.assertNotIn("1,000.00", mail.body_html)
        self.assertIn("Principal $\xa0600.00, with no late fine", mail.body_html)
        self.assertFalse(self._reconcile_activities(move), "a reminder holds nothing")

        with self.mock_mail_gateway():
            counters = self._run(day(5))
        self.assertEqual((counters["done"], counters["deferred"]), (0, 1))
        notice = move.collection_event_ids.filtered(lambda e: e.channel == "letter")
        self.assertEqual(notice.state, "scheduled")
        self.assertRegex(notice.failure_reason, "a step with legal weight waits")
        self.assertFalse(notice.letter_attachment_id, "no letter was made")
        self.assertEqual(len(self._reconcile_activities(move)), 1)

    def test_an_open_credit_note_holds_the_credit_bureau(self):
        ruler = self._ruler(("Bureau", 0, "credit_bureau"))
        move = self._create_invoice(collection_ruler_id=ruler.id)
        self._create_invoice(
            move_type="out_refund", amount=100.0, collection_ruler_id=False
        )
        self.assertEqual(move.collection_amount_due, 900.0)
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual((counters["failed"], counters["deferred"]), (0, 1))
        event = move.collection_event_ids
        self.assertRegex(event.failure_reason, r"\$\xa0100.00 in payments or credit")
        self.assertFalse(
            self.env["collection.bureau.registration"].search(
                [("move_id", "=", move.id)]
            )
        )

    def test_credits_of_a_batch_are_found_in_one_query(self):
        moves = self._create_invoice() | self._create_invoice(partner=self.customer_2)
        self._receive_payment(250.0)
        self.env.invalidate_all()
        # What the run's sync has read already: the invoices and their lines.
        moves.mapped("commercial_partner_id.name")
        moves.currency_id.mapped("rounding")
        moves.line_ids.account_id.mapped("account_type")
        with self.assertQueryCount(1):
            credits = self.env["collection.ruler.hold"]._get_outstanding_credits(moves)
        self.assertEqual(credits, {moves[0].id: 250.0})


@tagged("post_install", "-at_install")
class TestPaymentHoldLetters(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.step_debit = cls.env.ref(
            "collection_ruler.collection_ruler_step_debit_notice"
        )

    def test_a_queued_letter_waits_while_a_payment_is_to_reconcile(self):
        self.customer.email = False
        move = self._create_invoice()
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            self._run(day(5), force_report_rendering=True)
        event = self._events(move)[self.step_debit]
        self.assertTrue(event.letter_to_print)
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 100.0,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        with self.assertRaisesRegex(UserError, "held: their customers have payments"):
            self._print_pending(self.Event)
        self.assertTrue(event.letter_to_print, "it stays in the queue")
        self.assertFalse(event.letter_printed_at)

    def test_no_export_to_the_bureau_while_a_payment_is_to_reconcile(self):
        step_bureau = self.env.ref(
            "collection_ruler.collection_ruler_step_credit_bureau"
        )
        move = self._create_invoice()
        with (
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            self._run(day(5))
            # The mail server accepts the debit notice: it is proven.
            with freeze_time(day(5)):
                self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
            self._run(day(35))
        registration = self._events(move)[step_bureau].registration_id
        self.assertEqual(registration.state, "to_register")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
                "amount": 1000.0,
                "journal_id": self.company_data["default_journal_bank"].id,
            }
        )
        payment.action_post()
        with self.assertRaisesRegex(UserError, "Reconcile first: Padaria Pão Quente"):
            registration.action_export_csv()
        self.assertFalse(registration.exported_date, "nothing was exported")
