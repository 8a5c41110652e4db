"""The engine's contract: runs, channels, retries, concurrency and outcomes."""

from odoo.tests import tagged

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionEngine(CollectionRulerCommon):
    def test_run_record_counts_per_channel(self):
        self._create_invoice()
        self._create_invoice(partner=self.customer_2)
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        run = self.env["collection.ruler.run"].search([], limit=1)
        self.assertEqual((counters["due"], counters["done"]), (4, 2))
        self.assertEqual(counters["skipped"], 2, "the D-3 reminders were stale")
        self.assertEqual(run.trigger, "cron")
        self.assertEqual(run.state, "done")
        line = run.line_ids
        self.assertEqual(line.channel, "email")
        self.assertEqual((line.due_count, line.done_count), (4, 2))
