"""The Preview: what the next days of runs would do, and nothing written.

The test previews eight days, then lets the scheduled action really run
every hour of those days, and compares.
"""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command, http
from odoo.exceptions import AccessError
from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon, CollectionRulerHttpCommon

START = datetime(2026, 3, 5, 15, 0)  # Thursday, 12:00 in São Paulo
DAYS = 8


@tagged("post_install", "-at_install")
class TestPreview(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "America/Sao_Paulo"
        sp, ce = cls.env.ref("base.state_br_sp"), cls.env.ref("base.state_br_ce")
        cls.customer.write({"state_id": sp.id, "tz": False})
        cls.customer_2.write({"state_id": ce.id, "tz": False})
        Partner = cls.env["res.partner"]
        cls.unreachable = Partner.create(
            {"name": "Sem Contato", "country_id": cls.env.ref("base.br").id}
        )
        cls.paused = Partner.create(
            {
                "name": "Cliente em Negociação",
                "email": "negociacao@cliente.example.com",
                "mobile": "+55 11 91234-5678",
                "state_id": sp.id,
                "country_id": cls.env.ref("base.br").id,
            }
        )
        cls.ruler = cls.env["collection.ruler"].create(
            {
                "name": "Preview ruler",
                "step_ids": [
                    Command.create(
                        {"name": "Reminder", "offset_days": -3, "channel": "email"}
                    ),
                    Command.create(
                        {"name": "Due", "offset_days": 0, "channel": "email"}
                    ),
                    Command.create({"name": "SMS", "offset_days": 2, "channel": "sms"}),
                ],
            }
        )
        cls.reminder, cls.due, cls.sms = cls.ruler.step_ids.sorted("sequence")
        cls.company.collection_ruler_id = cls.ruler
        cls.cron.nextcall = START
        with freeze_time(START - timedelta(days=1)):
            cls.first = cls._create_invoice()
            cls.second = cls._create_invoice(amount=250.0)
            # Due Wednesday 11 March: its reminder falls on a Sunday.
            cls.ceara = cls._create_invoice(
                partner=cls.customer_2, due=date(2026, 3, 11)
            )
            cls.lost = cls._create_invoice(partner=cls.unreachable)
            cls.negotiating = cls._create_invoice(partner=cls.paused)
            cls.negotiating.collection_paused_until = date(2026, 3, 12)
        cls.moves = cls.first | cls.second | cls.ceara | cls.lost | cls.negotiating
        Cost = cls.env["collection.channel.cost"]
        Cost.create({"channel": "email", "unit_cost": 0.01})
        Cost.create({"channel": "sms", "unit_cost": 0.09})

    def _snapshot(self):
        events = self.Event.search([("move_id", "in", self.moves.ids)], order="id")
        return (
            events.read(["state", "scheduled_date", "failure_reason", "not_before"]),
            self.env["mail.mail"].search_count([]),
            self.env["sms.sms"].search_count([]),
            self.env["mail.message"].search_count(
                [("model", "=", "account.move"), ("res_id", "in", self.moves.ids)]
            ),
            self.env["collection.ruler.run"].search_count([]),
        )

    def _preview(self):
        with freeze_time(START):
            preview = self.env["collection.ruler.preview"].create({"days": DAYS})
            preview.action_preview()
        return preview

    def _line(self, preview, move, step, outcome):
        lines = preview.line_ids.filtered(
            lambda line: line.move_id == move
            and line.step_id == step
            and line.outcome == outcome
        )
        self.assertEqual(len(lines), 1, f"{move.name} {step.name} {outcome}")
        return lines

    def test_preview_writes_nothing_and_lists_why(self):
        before = self._snapshot()
        preview = self._preview()
        self.assertEqual(self._snapshot(), before, "nothing written, nothing sent")
        self.assertEqual(preview.date_from, START)
        # The digest: one email lists both invoices of the customer, at
        # 8:00 in São Paulo on Saturday 7 March.
        primary = self._line(preview, self.first, self.reminder, "send")
        member = self._line(preview, self.second, self.reminder, "send")
        self.assertEqual(primary.at, datetime(2026, 3, 7, 11, 0))
        self.assertEqual((member.at, member.digest_move_id), (primary.at, self.first))
        waiting = self._line(preview, self.first, self.reminder, "wait")
        self.assertEqual(waiting.at, datetime(2026, 3, 7, 3, 0), "local midnight")
        self.assertEqual(waiting.not_before, primary.at)
        # Sunday 8 March: Ceará's reminder waits for Monday.
        sunday = self._line(preview, self.ceara, self.reminder, "defer")
        self.assertEqual(sunday.deferred_until, date(2026, 3, 9))
        self.assertIn("Outside the contact hours", sunday.reason)
        self.assertEqual(
            self._line(preview, self.ceara, self.reminder, "send").at,
            datetime(2026, 3, 9, 11, 0),
        )
        # No email address: fails, and says why.
        self.assertIn(
            "no valid email address",
            self._line(preview, self.lost, self.reminder, "fail").reason,
        )
        # Paused until 12 March: deferred, then the late run sends the latest
        # step only, the SMS.
        paused = self._line(preview, self.negotiating, self.reminder, "defer")
        self.assertIn("paused", paused.reason)
        self.assertEqual(paused.deferred_until, date(2026, 3, 13))
        self._line(preview, self.negotiating, self.reminder, "skip")
        self._line(preview, self.negotiating, self.due, "skip")
        self.assertEqual(preview.skipped_count, 2)
        self.assertNotIn("skip", preview.visible_line_ids.mapped("outcome"))
        preview.show_skipped = True
        self.assertEqual(preview.visible_line_ids, preview.line_ids)
        self.assertEqual(
            self._line(preview, self.negotiating, self.sms, "send").at,
            datetime(2026, 3, 13, 11, 0),
        )
        # The cost: a digest is one message.
        costs = {cost.channel: cost for cost in preview.cost_ids}
        # Emails: two digests, and Ceará's two steps.
        self.assertEqual(costs["email"].message_count, 4)
        self.assertAlmostEqual(costs["email"].total, 0.04)
        # SMS: one digest, Ceará's and the paused invoice's; the customer
        # without a number fails.
        self.assertEqual(costs["sms"].message_count, 3)
        self.assertAlmostEqual(costs["sms"].total, 0.27)
        self.assertEqual(preview.message_count, 7)

    def test_previews_draw_no_run_numbers(self):
        """Runs are numbered one after the other, whatever the Previews in
        between simulated (and rolled back)."""
        with self.mock_mail_gateway():
            self._run(START, rulers=self.ruler)
            first = self.env["collection.ruler.run"].search([], limit=1)
            self._preview()  # simulates runs, and rolls them back
            self._run(START + timedelta(days=2), rulers=self.ruler)
        second = self.env["collection.ruler.run"].search([], limit=1)
        self.assertNotEqual(second, first)
        self.assertTrue(first.number)
        self.assertEqual(int(second.number), int(first.number) + 1)
        self.assertTrue(second.name.startswith(f"Run {second.number} of "))

    def test_the_preview_opens_full_screen_and_names_its_figures(self):
        action = self.env.ref("collection_ruler.collection_ruler_preview_action")
        self.assertEqual(action.target, "current", "not a dialog")
        arch = self.env["collection.ruler.preview"].get_view(action.view_id.id)["arch"]
        self.assertIn('<button name="action_preview"', arch.split("</header>")[0])
        self.assertNotIn("<footer", arch, "a footer shows only in a dialog")
        with freeze_time(START):
            preview = self.env["collection.ruler.preview"].create({"days": DAYS})
            self.assertFalse(preview.action_preview(), "the form reloads in place")
        sent = preview._fields["message_count"].string
        billed = preview.cost_ids._fields["message_count"].string
        self.assertEqual((sent, billed), ("Messages Going Out", "Billed Messages"))
        self.assertEqual(
            preview.message_count, sum(preview.cost_ids.mapped("message_count"))
        )

    def test_only_managers_preview(self):
        collector = mail_new_test_user(
            self.env,
            login="preview_collector",
            groups="base.group_user,collection_ruler.group_collection_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        with self.assertRaises(AccessError):
            self.env["collection.ruler.preview"].with_user(collector).create({})
        self.assertEqual(
            self.env["collection.channel.cost"].with_user(collector).search_count([]),
            2,
            "collectors read the prices",
        )

    def test_preview_matches_the_following_runs(self):
        preview = self._preview()
        terminal = {
            "send": "done",
            "fail": "failed",
            "skip": "skipped",
            "fall_back": "fell_back",
        }
        expected = {
            (line.move_id, line.step_id): (terminal[line.outcome], line.at)
            for line in preview.line_ids
            if line.outcome in terminal
        }
        digests = {
            line.move_id: line.digest_move_id
            for line in preview.line_ids
            if line.digest_move_id
        }
        with self.mock_mail_gateway(), self.mockSMSGateway():
            for hour in range(DAYS * 24):
                self._run(START + timedelta(hours=hour))
        events = self.Event.search(
            [("move_id", "in", self.moves.ids), ("state", "!=", "scheduled")]
        )
        actual = {
            (event.move_id, event.step_id): (event.state, event.executed_at)
            for event in events
        }
        self.assertEqual(len(expected), 15, "every step of every invoice")
        self.assertEqual(actual, expected)
        self.assertEqual(
            {e.move_id: e.digest_event_id.move_id for e in events if e.digest_event_id},
            digests,
        )
        self.assertEqual(len(self._mails_to(self.customer)), 2, "two digests")


@tagged("post_install", "-at_install")
class TestPreviewInBrowser(CollectionRulerHttpCommon):
    def test_a_collector_pauses_records_a_promise_and_previews(self):
        """In the web client (static/tests/tours/collection_ruler_guard_tour.js)."""
        self.company.partner_id.tz = "America/Sao_Paulo"
        ruler = self._create_email_ruler("Tour Guard Ruler", Due=0, Late=3)
        debtor = self.customer.copy({"name": "Tour Debtor"})
        move = self._create_invoice(partner=debtor, collection_ruler_id=ruler.id)
        due, late = move.collection_event_ids.sorted("scheduled_date")
        due.state = "done"
        # See test_apply.py: the manifests read before the browser's requests.
        self.assertIn("collection_ruler", http.root.statics)
        with freeze_time("2026-03-12 12:00:00"):
            self.start_tour(
                "/odoo/action-account.action_move_out_invoice_type",
                "collection_ruler_guard_tour",
                login=self.env.user.login,
            )
        self.assertEqual(move.collection_paused_until, date(2026, 3, 14))
        promise = move.collection_promise_ids
        self.assertEqual((promise.date, promise.amount), (date(2026, 3, 20), 600.0))
        self.assertEqual(promise.state, "open")
        preview = self.env["collection.ruler.preview"].search(
            [], limit=1, order="id desc"
        )
        line = preview.line_ids.filtered(lambda line: line.move_id == move)
        self.assertEqual(line.outcome, "defer")
        self.assertEqual(line.step_id, late.step_id)
        self.assertIn("promised to pay", line.reason)
        self.assertEqual(late.state, "scheduled", "the preview changed nothing")
        self.assertFalse(late.failure_reason)
