"""Day one: the open invoices that existed before the ruler get their schedule."""

from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from ..models.collection_ruler_backfill import PENDING_PARAM
from .common import DUE_DATE, CollectionRulerCommon, day

BEFORE = "Past when the ruler was applied: not sent."


@tagged("post_install", "-at_install")
class TestBackfill(CollectionRulerCommon):
    def _as_before_the_install(self, moves):
        """Invoices posted before the module existed: no ruler, no events."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "DELETE FROM collection_ruler_event WHERE move_id IN %s",
                tuple(moves.ids),
            )
        )
        self.env.cr.execute(
            SQL(
                "UPDATE account_move SET collection_ruler_id = NULL WHERE id IN %s",
                tuple(moves.ids),
            )
        )
        self.env.invalidate_all()
        self.assertFalse(moves.collection_event_ids)

    def _param(self):
        return self.env["ir.config_parameter"].sudo().get_param(PENDING_PARAM)

    def test_open_invoices_from_before_the_install_are_chased(self):
        ruler = self._create_email_ruler("Reminders", Due=0, Late=7)
        self.company.collection_ruler_id = ruler
        due_step, late_step = ruler.step_ids
        late = self._create_invoice()
        future = self._create_invoice(
            partner=self.customer_2, due=DUE_DATE + timedelta(days=10)
        )
        paid = self._create_invoice()
        self._pay(paid, 1000.0, DUE_DATE)
        self._as_before_the_install(late | future | paid)
        self.env["collection.ruler.backfill"]._request()  # as the install does
        self.assertTrue(self._param())

        with self.mock_mail_gateway():
            counters = self._run(day(4))
        self.assertEqual(counters["done"], 0, "nothing stale goes out on day one")
        self.assertFalse(self._new_mails)
        self.assertEqual((late | future).collection_ruler_id, ruler)
        self.assertFalse(paid.collection_event_ids, "a paid invoice is left alone")
        events = self._events(late)
        self.assertEqual(events[due_step].state, "skipped")
        self.assertRegex(events[due_step].failure_reason, BEFORE)
        self.assertEqual(late.collection_next_date, DUE_DATE + timedelta(days=7))
        self.assertEqual(
            set(future.collection_event_ids.mapped("state")),
            {"scheduled"},
            "an invoice not due yet keeps its whole schedule",
        )
        self.assertFalse(self._param(), "nothing is left to catch up")

        # The next step due is the first contact.
        with self.mock_mail_gateway():
            self._run(day(7))
        self.assertEqual(self._events(late)[late_step].state, "done")
        self.assertEqual(len(self._mails_to(self.customer)), 1)

    def test_a_new_default_ruler_chases_the_invoices_without_one(self):
        self.company.collection_ruler_id = False
        self.env["ir.config_parameter"].sudo().set_param(PENDING_PARAM, False)
        move = self._create_invoice()
        self.assertFalse(move.collection_ruler_id or move.collection_event_ids)
        self.company.collection_ruler_id = self.ruler
        self.assertTrue(self._param())
        with self.mock_mail_gateway():
            self._run(day(-3))
        self.assertEqual(move.collection_ruler_id, self.ruler)
        self.assertEqual(self._events(move)[self.step_before].state, "done")
        self.assertEqual(len(self._mails_to(self.customer)), 1)

    def test_the_time_budget_leaves_the_rest_to_the_next_call(self):
        moves = self._create_invoice() | self._create_invoice(partner=self.customer_2)
        self._as_before_the_install(moves)
        self.env["collection.ruler.backfill"]._request()
        self.env["ir.config_parameter"].set_param("collection_ruler.batch_size", 1)
        Run = type(self.env["collection.ruler.run"])
        with (
            self.mock_mail_gateway(),
            # A budget already spent: under freeze_time the clock stands still.
            patch.object(Run, "_get_time_budget", return_value=-1),
        ):
            counters = self._run(day(4))
        run = self.env["collection.ruler.run"].search([], limit=1)
        self.assertEqual((run.state, counters["due"]), ("continued", 0))
        self.assertEqual(len(moves.collection_event_ids.move_id), 1, "one batch ran")
        self.assertTrue(self._param(), "the rest waits for the next call")
        with self.mock_mail_gateway():
            self._run(day(4))
        self.assertEqual(moves.collection_event_ids.move_id, moves)

    def test_a_customers_new_ruler_reaches_their_open_invoices(self):
        late_only = self._create_email_ruler("Late only", Late=2, Later=9)
        late, later = late_only.step_ids
        open_move = self._create_invoice()
        chosen = self._create_invoice(collection_ruler_id=late_only.id)
        draft = self._create_invoice(post=False)
        with self.mock_mail_gateway():
            self._run(day(-3))
        self.assertEqual(self._events(open_move)[self.step_before].state, "done")
        self.env["ir.config_parameter"].sudo().set_param(PENDING_PARAM, False)
        other = self.ruler.copy({"name": "Chosen"})
        chosen.collection_ruler_id = other
        self.assertFalse(self._param(), "an invoice's own ruler asks for nothing")

        self.customer.collection_ruler_id = late_only
        self.assertTrue(self._param())
        self.assertEqual(open_move.collection_ruler_id, self.ruler, "not in the save")
        with self.mock_mail_gateway():
            counters = self._run(day(4))
        self.assertEqual((open_move | draft).collection_ruler_id, late_only)
        self.assertEqual(chosen.collection_ruler_id, other, "its own ruler stays")
        events = self._events(open_move)
        self.assertEqual(events[self.step_before].state, "done", "history kept")
        self.assertEqual(events[self.step_call].state, "cancelled")
        self.assertEqual(events[late].state, "skipped")
        self.assertRegex(events[late].failure_reason, BEFORE)
        self.assertEqual(events[later].state, "scheduled")
        self.assertEqual(counters["done"], 0, "nothing stale goes out")
        self.assertFalse(self._new_mails)
        self.assertFalse(self._param())

        # Back to the company's ruler when the customer's is removed.
        self.customer.collection_ruler_id = False
        self.assertTrue(self._param())
        with self.mock_mail_gateway():
            self._run(day(4))
        self.assertEqual(open_move.collection_ruler_id, self.ruler)
        self.assertEqual(self._events(open_move)[later].state, "cancelled")

    def test_the_settings_say_how_many_open_invoices_are_followed(self):
        self._create_invoice()
        self._create_invoice(collection_ruler_id=False)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.collection_open_invoice_count, 1)
        self.assertEqual(settings.collection_unruled_invoice_count, 1)
        self.env["collection.ruler.backfill"]._request()
        self.assertTrue(
            self.env["res.config.settings"].create({}).collection_backfill_pending
        )
        self.assertTrue(self.ruler.backfill_pending)
        self.assertEqual(self.ruler.invoice_count, 1)
