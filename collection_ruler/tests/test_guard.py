from freezegun import freeze_time
from odoo_test_helper import FakeModelLoader

from odoo.tests import tagged

from .common import DUE_DATE, CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionGuardContract(CollectionRulerCommon):
    """A guard added through the contract alone holds the cron and the Preview."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.loader = FakeModelLoader(cls.env, cls.__module__)
        cls.loader.backup_registry()
        from .fake_guard import (
            ON_HOLIDAY,
            CollectionRulerGuardHoliday,
            CollectionRulerRun,
        )

        cls.loader.update_registry((CollectionRulerGuardHoliday, CollectionRulerRun))
        cls.ruler.write({"contact_cap_day": 0, "contact_cap_week": 0})
        cls.away = cls.env["res.partner"].create(
            {"name": ON_HOLIDAY, "email": "away@example.com"}
        )

    @classmethod
    def tearDownClass(cls):
        cls.loader.restore_registry()
        super().tearDownClass()

    def test_the_run_lists_the_added_guard_last(self):
        self.assertEqual(
            self.env["collection.ruler.run"]._get_guards(),
            [
                "collection.ruler.hold",
                "collection.ruler.pause",
                "collection.contact.window",
                "collection.ruler.cap",
                "collection.ruler.guard.holiday",
            ],
        )

    def test_cron_obeys_the_added_guard(self):
        present = self._create_invoice()
        away = self._create_invoice(partner=self.away)
        with self.mock_mail_gateway():
            self._run(day(-1))
            counters = self._run(day(0))
        self.assertEqual(self._events(present)[self.step_due].state, "done")
        held = self._events(away)[self.step_due]
        self.assertEqual(held.state, "scheduled")
        self.assertEqual(held.scheduled_date, DUE_DATE.replace(day=12))
        self.assertEqual(held.failure_reason, "The customer is on holiday.")
        self.assertEqual((counters["done"], counters["deferred"]), (1, 1))
        self.assertTrue(
            away.message_ids.filtered(lambda m: "on holiday" in (m.body or ""))
        )
        self.assertFalse(self._mails_to(self.away), "nothing sent to the away one")

    def test_preview_obeys_the_added_guard(self):
        present = self._create_invoice()
        away = self._create_invoice(partner=self.away)
        with self.mock_mail_gateway():
            self._run(day(-1))
        with freeze_time(day(0)):
            preview = self.env["collection.ruler.preview"].create({"days": 1})
            preview.action_preview()
        lines = preview.line_ids.filtered(lambda line: line.step_id == self.step_due)
        by_move = {line.move_id: line for line in lines}
        self.assertEqual(by_move[present].outcome, "send")
        self.assertEqual(by_move[away].outcome, "defer")
        self.assertEqual(by_move[away].deferred_until, DUE_DATE.replace(day=12))
        self.assertEqual(by_move[away].reason, "The customer is on holiday.")
        self.assertEqual(self._events(away)[self.step_due].state, "scheduled")
        self.assertEqual(
            self._events(away)[self.step_due].scheduled_date, DUE_DATE, "unchanged"
        )
