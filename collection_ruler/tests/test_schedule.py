from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import DUE_DATE, CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionSchedule(CollectionRulerCommon):
    def test_default_ruler_data(self):
        """The shipped ruler: reminders, then letters and the credit bureau."""
        steps = self.ruler.step_ids.sorted("offset_days")
        self.assertEqual(
            [(s.offset_days, s.channel, s.letter_type) for s in steps],
            [
                (-3, "email", False),
                (0, "email", False),
                (3, "call", False),
                (5, "letter", "debit_notice"),
                (7, "sms", False),
                (15, "letter", "nej_light"),
                (30, "letter", "nej_moderate"),
                (35, "credit_bureau", False),
                (60, "letter", "nej_heavy"),
            ],
        )
        self.assertEqual(self.step_before.offset_label, "3 days before due date")
        self.assertEqual(self.step_due.offset_label, "On due date")
        self.assertEqual(self.step_sms.offset_label, "7 days late")
        self.step_sms.offset_days = 1
        self.assertEqual(self.step_sms.offset_label, "1 day late")
        self.step_before.offset_days = -1
        self.assertEqual(self.step_before.offset_label, "1 day before due date")

    def test_post_creates_events(self):
        move = self._create_invoice(post=False)
        self.assertFalse(move.collection_event_ids, "a draft has no events")
        self.assertEqual(move.collection_ruler_id, self.ruler)
        move.action_post()
        events = self._events(move)
        self.assertEqual(set(events), set(self.ruler.step_ids))
        self.assertEqual(
            {step: event.scheduled_date for step, event in events.items()},
            {
                step: DUE_DATE + timedelta(days=step.offset_days)
                for step in self.ruler.step_ids
            },
        )
        self.assertEqual(events[self.step_before].scheduled_date, day(-3).date())
        self.assertEqual(events[self.step_sms].scheduled_date, day(7).date())
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"scheduled"})
        self.assertEqual(move.collection_event_ids.partner_id, self.customer)
        self.assertEqual(move.collection_event_ids.company_id, self.company)
        self.assertEqual(events[self.step_sms].channel, "sms")
        self.assertEqual(move.collection_next_date, DUE_DATE - timedelta(days=3))

    def test_no_events_without_something_to_collect(self):
        draft = self._create_invoice(post=False)
        refund = self._create_invoice(move_type="out_refund")
        bill = self._create_invoice(move_type="in_invoice")
        zero = self._create_invoice(amount=0.0)
        no_ruler = self._create_invoice(collection_ruler_id=False)
        for move in (draft, refund, bill, zero, no_ruler):
            self.assertFalse(move.collection_event_ids, move.move_type)
        self.assertFalse(refund.collection_ruler_id)
        self.assertFalse(bill.collection_ruler_id)

    def test_ruler_from_invoice_then_customer_then_company(self):
        short = self.env["collection.ruler"].create(
            {
                "name": "Short",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Due",
                            "offset_days": 0,
                            "channel": "email",
                            "mail_template_id": self.step_due.mail_template_id.id,
                        }
                    )
                ],
            }
        )
        other = short.copy({"name": "Other"})
        self.assertEqual(self._create_invoice().collection_ruler_id, self.ruler)
        self.customer_2.collection_ruler_id = short
        contact = self.env["res.partner"].create(
            {"name": "Accounts payable", "parent_id": self.customer_2.id}
        )
        self.assertEqual(contact.collection_ruler_id, short, "synced to contacts")
        self.assertEqual(
            self._create_invoice(partner=contact).collection_ruler_id, short
        )
        move = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=other.id
        )
        self.assertEqual(move.collection_ruler_id, other)
        self.assertEqual(move.collection_event_ids.ruler_id, other)
        self.assertEqual(short.invoice_count, 1)
        self.assertEqual(short.partner_count, 2)

    def test_reschedule_on_due_date_change_keeps_executed(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(-3))
        events = self._events(move)
        self.assertEqual(events[self.step_before].state, "done")
        move.button_draft()
        self.assertEqual(events[self.step_due].state, "cancelled")
        move.invoice_date_due = DUE_DATE + timedelta(days=10)
        move.action_post()
        self.assertEqual(events[self.step_before].state, "done")
        self.assertEqual(
            events[self.step_before].scheduled_date,
            DUE_DATE - timedelta(days=3),
            "an event that ran is never moved",
        )
        self.assertEqual(events[self.step_due].state, "scheduled")
        self.assertEqual(
            events[self.step_due].scheduled_date, DUE_DATE + timedelta(days=10)
        )
        self.assertEqual(
            events[self.step_sms].scheduled_date, DUE_DATE + timedelta(days=17)
        )
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 0, "nothing is due on the old due date")
        self.assertFalse(self._mails_to(self.customer))

    def test_change_ruler_reschedules(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(-3))
        late_only = self.env["collection.ruler"].create(
            {
                "name": "Late only",
                "step_ids": [
                    Command.create(
                        {
                            "name": "Late call",
                            "offset_days": 5,
                            "channel": "call",
                        }
                    )
                ],
            }
        )
        with freeze_time(day(-3)):
            move.collection_ruler_id = late_only
        events = self._events(move)
        self.assertEqual(events[self.step_before].state, "done")
        self.assertEqual(events[self.step_due].state, "cancelled")
        self.assertEqual(events[self.step_sms].state, "cancelled")
        new_event = events[late_only.step_ids]
        self.assertEqual(new_event.state, "scheduled")
        self.assertEqual(new_event.scheduled_date, DUE_DATE + timedelta(days=5))
        self.assertEqual(move.collection_next_date, DUE_DATE + timedelta(days=5))
        # Back to the first ruler: its cancelled steps come back.
        with freeze_time(day(-3)):
            move.collection_ruler_id = self.ruler
        self.assertEqual(events[self.step_due].state, "scheduled")
        self.assertEqual(new_event.state, "cancelled")

    def test_step_changes_reschedule_open_invoices(self):
        move = self._create_invoice()
        self.step_sms.offset_days = 10
        self.assertEqual(
            self._events(move)[self.step_sms].scheduled_date,
            DUE_DATE + timedelta(days=10),
        )
        self.step_call.active = False
        self.assertEqual(self._events(move)[self.step_call].state, "cancelled")
        extra = self.env["collection.ruler.step"].create(
            {
                "ruler_id": self.ruler.id,
                "name": "Extra",
                "offset_days": 20,
                "channel": "call",
            }
        )
        self.assertEqual(
            self._events(move)[extra].scheduled_date, DUE_DATE + timedelta(days=20)
        )

    def test_exclusion(self):
        move = self._create_invoice()
        move.collection_excluded = True
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"cancelled"})
        self.assertFalse(move.collection_next_date)
        with self.mock_mail_gateway():
            counters = self._run(day(0))
        self.assertEqual(counters["done"], 0)
        self.assertFalse(self._mails_to(self.customer))
        move.collection_excluded = False
        self.assertEqual(set(move.collection_event_ids.mapped("state")), {"scheduled"})

    def test_step_template_required(self):
        with self.assertRaisesRegex(ValidationError, "choose its SMS template"):
            self.env["collection.ruler.step"].create(
                {
                    "ruler_id": self.ruler.id,
                    "name": "No template",
                    "channel": "sms",
                    "sms_template_id": False,
                }
            )

    def test_new_steps_get_their_channel_defaults(self):
        Step = self.env["collection.ruler.step"]
        letter = Step.create(
            {"ruler_id": self.ruler.id, "name": "Notice", "channel": "letter"}
        )
        self.assertEqual(
            letter.mail_template_id,
            self.env.ref("collection_ruler.mail_template_collection_letter"),
        )
        self.assertEqual(letter.letter_type, "debit_notice")
        sms = Step.create({"ruler_id": self.ruler.id, "name": "SMS", "channel": "sms"})
        self.assertEqual(
            sms.sms_template_id,
            self.env.ref("collection_ruler.sms_template_collection_overdue"),
        )
        call = Step.create(
            {"ruler_id": self.ruler.id, "name": "Call", "channel": "call"}
        )
        self.assertEqual(
            call.activity_type_id, self.env.ref("mail.mail_activity_data_call")
        )
        bureau = Step.create(
            {"ruler_id": self.ruler.id, "name": "Bureau", "channel": "credit_bureau"}
        )
        self.assertEqual(bureau.bureau, "serasa")

    def test_step_that_ran_cannot_be_deleted(self):
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(-3))
        with self.assertRaises(UserError):
            self.step_before.unlink()
        self.step_sms.unlink()
        self.assertNotIn(self.step_sms, self._events(move))

    def test_business_days_skip_the_calendar_holidays(self):
        """Súmula 548 counts business days: weekends and public holidays, the
        national ones and those of the company's calendar."""
        calendar = self.company.resource_calendar_id
        calendar.tz = "America/Sao_Paulo"
        friday = date(2026, 4, 17)
        # Tiradentes, Tuesday 21 April, a national holiday shipped as data.
        self.assertEqual(
            self.company._collection_add_business_days(friday, 5), date(2026, 4, 27)
        )
        # Saint George, Thursday 23 April, a holiday of Rio's calendar.
        self.env["resource.calendar.leaves"].create(
            {
                "name": "São Jorge",
                "calendar_id": calendar.id,
                "date_from": datetime(2026, 4, 23, 3, 0),
                "date_to": datetime(2026, 4, 24, 2, 59),
            }
        )
        self.assertEqual(
            self.company._collection_add_business_days(friday, 5), date(2026, 4, 28)
        )
        self.company.country_id = self.env.ref("base.us")
        self.assertEqual(
            self.company._collection_add_business_days(friday, 5),
            date(2026, 4, 27),
            "Brazil's holidays are for companies in Brazil",
        )

    def test_a_debtor_abroad_gets_the_reminders_only(self):
        """Letters and the credit bureau are Brazilian law: not for a debtor abroad."""
        abroad = self.env["res.partner"].create(
            {
                "name": "Acme Corp",
                "email": "ap@acme.example.com",
                "country_id": self.env.ref("base.us").id,
            }
        )
        move = self._create_invoice(partner=abroad)
        channels = move.collection_event_ids.mapped("channel")
        self.assertEqual(sorted(set(channels)), ["call", "email", "sms"])
        domestic = self._create_invoice()
        self.assertIn("letter", domestic.collection_event_ids.mapped("channel"))
        self.assertIn("credit_bureau", domestic.collection_event_ids.mapped("channel"))

        # Moving abroad cancels the legal steps still to come, and back again.
        self.customer.country_id = self.env.ref("base.us")
        domestic._collection_sync_events()
        legal = domestic.collection_event_ids.filtered(
            lambda e: e.channel in ("letter", "credit_bureau")
        )
        self.assertEqual(set(legal.mapped("state")), {"cancelled"})
        self.assertEqual(
            set(legal.mapped("failure_reason")),
            {"Legal steps are for debtors in Brazil."},
        )
        self.customer.country_id = self.env.ref("base.br")
        domestic._collection_sync_events()
        self.assertEqual(set(legal.mapped("state")), {"scheduled"})

    def test_the_next_step_of_a_late_invoice_runs_at_the_next_run(self):
        with freeze_time(day(-5)):
            move = self._create_invoice()
            self.assertEqual(
                move.collection_next_step,
                f"{self.step_before.name}, on 03/07/2026",
            )
        with freeze_time(day(4)):
            move.invalidate_recordset(["collection_next_step"])
            self.assertEqual(
                move.collection_next_step,
                f"{self.step_before.name}, at the next run",
                "never a date in the past",
            )
