"""Shared set-up for collection_ruler tests, reusable by other modules.

Every test works at fixed dates around ``DUE_DATE`` and walks the ruler through
time with ``freeze_time``; nothing depends on today's date or on demo data.
"""

from contextlib import contextmanager, nullcontext
from datetime import date, datetime, time, timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase
from odoo.tools import SQL

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.addons.mail.tests.common import MailCommon, mail_new_test_user

from ..models.collection_ruler_run import OUTCOMES

DUE_DATE = date(2026, 3, 10)


def day(offset):
    """Noon (UTC) of the day ``offset`` days from ``DUE_DATE``."""
    return datetime.combine(DUE_DATE + timedelta(days=offset), time(12, 0))


class SimulatedCrash(BaseException):
    """A worker killed mid-run: not an ``Exception``, so no handler eats it."""


class CollectionRulerCommon(AccountTestInvoicingCommon, MailCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "email": "billing@company.example.com",
                "country_id": cls.env.ref("base.br").id,
            }
        )
        cls.company.partner_id.tz = "UTC"
        cls.Event = cls.env["collection.ruler.event"]
        cls.cron = cls.env.ref("collection_ruler.ir_cron_collection_ruler_run")
        cls.ruler = cls.env.ref("collection_ruler.collection_ruler_default")
        cls.step_before = cls.env.ref(
            "collection_ruler.collection_ruler_step_before_due"
        )
        cls.step_due = cls.env.ref("collection_ruler.collection_ruler_step_due_today")
        cls.step_call = cls.env.ref("collection_ruler.collection_ruler_step_call")
        cls.step_sms = cls.env.ref("collection_ruler.collection_ruler_step_sms")
        cls.company.collection_ruler_id = cls.ruler
        cls.salesperson = mail_new_test_user(
            cls.env,
            login="collector",
            name="Carla Collector",
            email="carla@company.example.com",
            groups="base.group_user,account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Padaria Pão Quente",
                "email": "financeiro@padaria.example.com",
                "mobile": "+55 11 98765-4321",
                "country_id": cls.env.ref("base.br").id,
                "lang": "en_US",
            }
        )
        cls.customer_2 = cls.env["res.partner"].create(
            {
                "name": "Oficina Boa Vista",
                "email": "contato@oficina.example.com",
                "mobile": "(21) 99876-5432",
                "country_id": cls.env.ref("base.br").id,
                "lang": "en_US",
            }
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------

    @classmethod
    def _load_pt_br(cls, modules=("collection_ruler",)):
        """Activate pt_BR with the translations of ``modules`` (a bridge's
        tests add their own module)."""
        cls.env["res.lang"]._activate_lang("pt_BR")
        cls.env["ir.module.module"]._load_module_terms(
            list(modules), ["pt_BR"], overwrite=True
        )

    @classmethod
    def _create_invoice(
        cls, partner=None, due=DUE_DATE, amount=1000.0, post=True, **vals
    ):
        """Create (and post) a customer invoice due on ``due``."""
        move = (
            cls.env["account.move"]
            .with_company(vals.pop("company", cls.company))
            .create(
                {
                    "move_type": vals.pop("move_type", "out_invoice"),
                    "partner_id": (partner or cls.customer).id,
                    "invoice_date": due - timedelta(days=30),
                    "invoice_date_due": due,
                    "invoice_user_id": cls.salesperson.id,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": "Monthly supply",
                                "quantity": 1,
                                "price_unit": amount,
                                "tax_ids": [],
                            }
                        )
                    ],
                    **vals,
                }
            )
        )
        if post:
            move.action_post()
        return move

    @classmethod
    def _create_email_ruler(cls, name, **offsets):
        """A ruler of email steps: ``_create_email_ruler("R", Due=0, Late=7)``.

        The steps keep the keyword order, which is their order on the ruler.
        """
        return cls.env["collection.ruler"].create(
            {
                "name": name,
                "step_ids": [
                    Command.create(
                        {"name": step, "offset_days": days, "channel": "email"}
                    )
                    for step, days in offsets.items()
                ],
            }
        )

    def _pay(self, move, amount, when):
        """Register a payment of ``amount`` on ``move`` on date ``when``."""
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"amount": amount, "payment_date": when})._create_payments()

    def _run(self, when, companies=None, rulers=None, **context):
        """Run the collection engine as its scheduled action would at ``when``.

        Through the cron record itself; with ``companies`` or ``rulers``, as
        Run Now does.

        :return: dict of the run's counters (due, done, failed...); all 0
            when the scheduled action found nothing due and made no run
        """
        Run = self.env["collection.ruler.run"].with_context(**context)
        with freeze_time(when):
            if companies is None and rulers is None and not context:
                last = Run.search([], limit=1).id or 0
                self.cron.with_context(**context).method_direct_trigger()
                run = Run.search([("id", ">", last)], limit=1)
                if not run:
                    return dict.fromkeys(OUTCOMES, 0)
            else:
                run = Run.sudo()._start("manual", rulers=rulers)
                run._process(companies=companies)
        self.assertTrue(run, "the run left a record")
        return self._counters(run)

    @staticmethod
    def _counters(run):
        return {outcome: run[f"{outcome}_count"] for outcome in OUTCOMES}

    def _print_pending(self, events):
        """Print Pending Letters as its dialog does: the letters ``events``
        selected, or every pending one when it is empty, in ``events``'
        environment (its user and context).

        :return: the dialog's action, downloading the merged PDF
        """
        Wizard = events.env["collection.letter.print"]
        if events:
            Wizard = Wizard.with_context(
                active_model=events._name, active_ids=events.ids
            )
        return Wizard.create({}).action_print()

    def _download_letters(self, action, user=None):
        """Serve the PDF of *Print Pending Letters* as its link does when the
        browser opens it, which marks its letters printed.

        :param dict action: what ``_print_pending`` returned
        :return: the merged PDF's ir.attachment
        """
        batch_id = int(action["url"].rsplit("/", 1)[1])
        Letter = self.env["collection.channel.letter"]
        return (Letter.with_user(user) if user else Letter)._serve_print_batch(batch_id)

    def _events(self, move):
        """The events of ``move``, keyed by step."""
        return {event.step_id: event for event in move.collection_event_ids}

    def _mails_to(self, partner):
        """Outgoing mail.mail created during the mock for ``partner``."""
        return self._new_mails.filtered(lambda mail: partner in mail.recipient_ids)

    @contextmanager
    def _committing_batches(self):
        """Make the run's batch commits real inside the test transaction.

        Each "commit" becomes a savepoint; after a simulated crash the test
        rolls back to the last one, as PostgreSQL would roll back the
        transaction under way.

        :return: the list of savepoint names, newest last
        """
        savepoints = []
        cr = self.env.cr

        def commit(event_model):
            event_model.env.flush_all()
            name = f"collection_batch_{len(savepoints)}"
            cr.execute(SQL("SAVEPOINT %s", SQL.identifier(name)))
            savepoints.append(name)

        with patch.object(
            type(self.env["collection.ruler.run"]), "_commit_batch", commit
        ):
            yield savepoints

    def _rollback_to(self, savepoint):
        self.env.cr.execute(SQL("ROLLBACK TO SAVEPOINT %s", SQL.identifier(savepoint)))
        self.env.invalidate_all()
        self.env.registry.clear_cache()

    def _crash_between_invoices(self, step, make_invoice, count_outputs, prepare=None):
        """Crash a run between two invoices of a batch, before it commits.

        Two invoices a batch (one customer's): the first batch commits. In
        the second, the channel has produced both invoices' outputs, and the
        first invoice's outcome is recorded, when the worker dies: outside
        any savepoint of the run, so that only the rollback of the
        transaction under way, as PostgreSQL does it, can undo the batch. A
        new run then resumes: every invoice gets exactly one output.

        :param prepare: optional callable of the invoices, called before the
            run that crashes (to run the steps that ``step`` builds on)
        """
        # Two invoices of one customer on one day: no contact cap and no
        # digest here; a batch is one customer's two invoices.
        step.ruler_id.write(
            {"contact_cap_day": 0, "contact_cap_week": 0, "digest": False}
        )
        moves = [make_invoice(partner) for partner in (self.customer,) * 2]
        moves += [make_invoice(partner) for partner in (self.customer_2,) * 2]
        if prepare:
            prepare(moves)
        self.env["ir.config_parameter"].set_param("collection_ruler.batch_size", 1)
        Event = type(self.env["collection.ruler.event"])
        original = Event._apply_outcomes
        calls = []

        def crash_on_second(event_model, outcomes, counts):
            calls.append(outcomes)
            if len(calls) < 2:
                return original(event_model, outcomes, counts)
            self.assertEqual(len(outcomes), 2, "two invoices in the batch")
            original(event_model, dict(list(outcomes.items())[:1]), counts)
            event_model.env.flush_all()
            self.assertEqual(count_outputs(moves), 4, "side effects happened")
            raise SimulatedCrash()

        with self._committing_batches() as savepoints:
            # Not ``assertRaises``: Odoo's wraps the block in a savepoint of its
            # own, which would undo the batches the run committed.
            crashed = False
            try:
                with patch.object(Event, "_apply_outcomes", crash_on_second):
                    self._run(self.when)
            except SimulatedCrash:
                crashed = True
            self.assertTrue(crashed, "the run should have crashed")
            self.assertEqual(len(savepoints), 2, "the run and one batch committed")
            self._rollback_to(savepoints[-1])
            events = self.Event.search(
                [("move_id", "in", [m.id for m in moves]), ("step_id", "=", step.id)]
            )
            self.assertEqual(
                sorted(events.mapped("state")),
                ["done", "done", "scheduled", "scheduled"],
            )
            self.assertEqual(count_outputs(moves), 2, "the crashed batch left nothing")
            counters = self._run(self.when)
        self.assertEqual(counters["done"], 2)
        self.assertEqual(set(events.mapped("state")), {"done"})
        self.assertEqual(count_outputs(moves), 4, "one output per invoice, no more")

    def _marginal_queries(self, channel, gateway, batch_queries, **step_values):
        """SQL queries per extra event of ``channel``: (q10 - q1) / 9.

        A first run of one event warms the caches, so that neither measured
        run pays for them: on a batch path, the result is about 0. The run
        of 10 events is held to ``batch_queries`` by ``assertQueryCount``.
        """
        ruler = self.env["collection.ruler"].create(
            {
                "name": channel,
                "step_ids": [
                    Command.create(
                        {"name": channel, "offset_days": 0, "channel": channel}
                        | step_values
                    )
                ],
            }
        )
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Customer {i}",
                    "email": f"customer{i}@example.com",
                    "mobile": f"+55 11 98765-{i:04d}",
                    "country_id": self.env.ref("base.br").id,
                }
                for i in range(12)
            ]
        )
        Run = self.env["collection.ruler.run"].sudo()
        counts = []
        with gateway(), freeze_time(day(0)):
            for size, chunk in (
                (1, partners[:1]),
                (1, partners[1:2]),
                (10, partners[2:]),
            ):
                for partner in chunk:
                    self._create_invoice(partner=partner, collection_ruler_id=ruler.id)
                self.env.flush_all()
                self.env.invalidate_all()
                before = self.cr.sql_log_count
                guard = (
                    self.assertQueryCount(batch_queries)
                    if size == 10
                    else nullcontext()
                )
                with guard:
                    run = Run._start("manual", rulers=ruler)
                    run._process()
                    self.env.flush_all()
                counts.append(self.cr.sql_log_count - before)
                self.assertEqual(run.done_count, size)
        return (counts[2] - counts[1]) / 9


class CollectionRulerHttpCommon(CollectionRulerCommon, HttpCase):
    """For tests that render real PDFs (``force_report_rendering``).

    wkhtmltopdf fetches the report's assets from Odoo over HTTP. Odoo
    generates them on first use, inside the test's transaction; an HTTP
    worker on a cursor of its own would wait for that transaction, which
    waits for wkhtmltopdf. An ``HttpCase`` serves HTTP on the test cursor.
    """
