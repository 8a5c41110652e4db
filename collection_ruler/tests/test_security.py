from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionSecurity(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.setup_other_company(name="Company B")["company"]
        cls.ruler_b = cls.env["collection.ruler"].create(
            {
                "name": "Company B ruler",
                "company_id": cls.company_b.id,
                "step_ids": [
                    Command.create(
                        {"name": "Call", "offset_days": 0, "channel": "call"}
                    )
                ],
            }
        )
        cls.company_b.collection_ruler_id = cls.ruler_b
        cls.ruler_a = cls.env["collection.ruler"].create(
            {"name": "Company A ruler", "company_id": cls.company.id}
        )
        cls.customer_b = cls.env["res.partner"].create(
            {"name": "Customer B", "phone": "+55 11 3333-4444"}
        )
        cls.invoice_a = cls._create_invoice()
        cls.invoice_b = cls._create_invoice(
            partner=cls.customer_b, company=cls.company_b
        )
        cls.collection_user = new_test_user(
            cls.env,
            login="collection_user",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.collection_manager = new_test_user(
            cls.env,
            login="collection_manager",
            groups="base.group_user,account.group_account_invoice,"
            "collection_ruler.group_collection_manager",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.plain_user = new_test_user(
            cls.env,
            login="plain_user",
            groups="base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def test_invoicing_user_is_collection_user(self):
        self.assertTrue(
            self.collection_user.has_group("collection_ruler.group_collection_user")
        )
        self.assertFalse(
            self.collection_user.has_group("collection_ruler.group_collection_manager")
        )
        self.assertTrue(
            self.env.ref("base.user_admin").has_group(
                "collection_ruler.group_collection_manager"
            )
        )

    def test_companies_never_see_each_other(self):
        self.assertEqual(self.invoice_b.collection_ruler_id, self.ruler_b)
        self.assertEqual(self.invoice_b.collection_event_ids.company_id, self.company_b)
        Ruler = self.env["collection.ruler"].with_user(self.collection_user)
        visible = Ruler.search([])
        self.assertIn(self.ruler_a, visible)
        self.assertIn(self.ruler, visible, "a ruler without company is shared")
        self.assertNotIn(self.ruler_b, visible)
        Event = self.env["collection.ruler.event"].with_user(self.collection_user)
        events = Event.search([])
        self.assertEqual(events, self.invoice_a.collection_event_ids)
        with self.assertRaises(AccessError):
            self.ruler_b.with_user(self.collection_user).read(["name"])
        with self.assertRaises(AccessError):
            self.invoice_b.collection_event_ids.with_user(self.collection_user).read(
                ["state"]
            )

    def test_run_per_company_keeps_companies_apart(self):
        with self.mock_mail_gateway():
            self._run(day(0), companies=self.company_b)
        self.assertEqual(self.invoice_b.collection_event_ids.state, "done")
        self.assertEqual(
            self._events(self.invoice_a)[self.step_due].state,
            "scheduled",
            "running company B leaves company A alone",
        )

    def test_cron_runs_every_company(self):
        with self.mock_mail_gateway(), freeze_time(day(0)):
            self.cron.method_direct_trigger()
        self.assertEqual(self.invoice_b.collection_event_ids.state, "done")
        self.assertEqual(
            self.invoice_b.collection_event_ids.activity_id.res_id, self.invoice_b.id
        )
        self.assertEqual(self._events(self.invoice_a)[self.step_due].state, "done")

    def test_collection_user_reads_but_cannot_edit(self):
        ruler = self.ruler.with_user(self.collection_user)
        self.assertEqual(
            ruler.step_ids.mapped("offset_days"), [-3, 0, 3, 5, 7, 15, 30, 35, 60]
        )
        self.assertEqual(
            len(self.invoice_a.with_user(self.collection_user).collection_event_ids), 9
        )
        with self.assertRaises(AccessError):
            ruler.name = "Mine now"
        with self.assertRaises(AccessError):
            ruler.step_ids[0].offset_days = 1
        with self.assertRaises(AccessError):
            self.env["collection.ruler"].with_user(self.collection_user).create(
                {"name": "New"}
            )
        with self.assertRaises(AccessError):
            ruler.action_run_now()
        with self.assertRaises(AccessError):
            self.invoice_a.with_user(self.collection_user).collection_excluded = True
        with self.assertRaises(AccessError):
            self.invoice_a.collection_event_ids.with_user(
                self.collection_user
            ).state = "done"

    def test_collection_user_posts_invoices(self):
        """Posting schedules events even for users who cannot write them."""
        move = self._create_invoice(post=False).with_user(self.collection_user)
        move.action_post()
        self.assertEqual(len(move.collection_event_ids), 9)

    def test_manager_edits_runs_and_excludes(self):
        ruler = self.ruler.with_user(self.collection_manager)
        ruler.step_ids.filtered(lambda s: s.offset_days == 7).offset_days = 8
        self.invoice_a.with_user(self.collection_manager).collection_excluded = True
        self.assertEqual(
            set(self.invoice_a.collection_event_ids.mapped("state")), {"cancelled"}
        )
        self.invoice_a.with_user(self.collection_manager).collection_excluded = False
        with self.mock_mail_gateway(), freeze_time(day(0)):
            action = ruler.action_run_now()
        self.assertIn("1 sent", action["params"]["message"])

    def test_plain_user_sees_nothing(self):
        with self.assertRaises(AccessError):
            self.env["collection.ruler"].with_user(self.plain_user).search([])
        with self.assertRaises(AccessError):
            self.env["collection.ruler.event"].with_user(self.plain_user).search([])
