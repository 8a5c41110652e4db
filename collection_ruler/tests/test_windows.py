"""Contact hours: a step goes out only when its channel may reach the debtor,
in the debtor's local time, and waits for the next slot otherwise."""

from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.sms.tests.common import SMSCommon

from .common import CollectionRulerCommon


def utc(*args):
    return datetime(*args)


@tagged("post_install", "-at_install")
class TestContactWindows(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.write(
            {"state_id": cls.env.ref("base.state_br_sp").id, "tz": False}
        )
        cls.customer_2.write(
            {"state_id": cls.env.ref("base.state_br_ce").id, "tz": False}
        )

    def _ruler(self, channel, offset):
        return self.env["collection.ruler"].create(
            {
                "name": f"{channel} on day {offset}",
                "step_ids": [
                    Command.create(
                        {"name": channel, "offset_days": offset, "channel": channel}
                    )
                ],
            }
        )

    def test_the_hours_shipped(self):
        ceara = self.env.ref("collection_ruler.contact_window_ce_sms")
        self.assertEqual((ceara.weekday_from, ceara.weekday_to), (8.0, 18.0))
        self.assertIn("Lei 16.836/2019", ceara.citation)
        self.assertEqual(
            self.env.ref("collection_ruler.ir_cron_collection_ruler_run").interval_type,
            "hours",
            "hourly, so that a window opening at 8:00 is honoured",
        )
        with self.assertRaisesRegex(ValidationError, "end after they start"):
            ceara.weekday_to = 7.0

    def test_a_sunday_step_goes_on_monday_at_eight(self):
        # The due date is Tuesday 10 March 2026: five days later is a Sunday.
        move = self._create_invoice(collection_ruler_id=self._ruler("email", 5).id)
        event = move.collection_event_ids
        with self.mock_mail_gateway():
            counters = self._run(utc(2026, 3, 15, 15, 0))
            self.assertEqual((counters["done"], counters["deferred"]), (0, 1))
            self.assertEqual(event.scheduled_date.isoformat(), "2026-03-16")
            self.assertIn("Outside the contact hours", event.failure_reason)
            self.assertIn("3/16/26, 8:00", event.failure_reason)
            # 7:00 in São Paulo: not yet. It waits for 8:00, with no note, and
            # the runs before 8:00 leave it alone.
            Message = self.env["mail.message"]
            on_move = [("model", "=", "account.move"), ("res_id", "=", move.id)]
            notes = Message.search_count(on_move)
            self.assertEqual(self._run(utc(2026, 3, 16, 10, 0))["done"], 0)
            self.assertEqual(event.not_before, utc(2026, 3, 16, 11, 0))
            self.assertEqual(Message.search_count(on_move), notes)
            self.assertEqual(self._run(utc(2026, 3, 16, 10, 30))["due"], 0)
            self.assertFalse(self._mails_to(self.customer))
            # 8:00 in São Paulo.
            self.assertEqual(self._run(utc(2026, 3, 16, 11, 0))["done"], 1)
        self.assertEqual(event.state, "done")

    def test_ceara_until_six_pm(self):
        ruler = self._ruler("sms", 1)
        early = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=ruler.id
        )
        late = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=ruler.id, amount=500.0
        )
        ruler.contact_cap_day = 0  # two invoices, two SMS on one day
        late.collection_event_ids.scheduled_date = "2026-03-12"
        with self.mockSMSGateway():
            # Wednesday 11 March, 17:59 in Fortaleza (UTC-3).
            self.assertEqual(self._run(utc(2026, 3, 11, 20, 59))["done"], 1)
            self.assertEqual(early.collection_event_ids.state, "done")
            # Thursday 12 March, 18:01 in Fortaleza: the law's hours are over.
            counters = self._run(utc(2026, 3, 12, 21, 1))
        self.assertEqual((counters["done"], counters["deferred"]), (0, 1))
        event = late.collection_event_ids
        self.assertEqual(event.scheduled_date.isoformat(), "2026-03-13")
        self.assertIn("Ceará: Lei 16.836/2019", event.failure_reason)

    def test_email_to_ceara_keeps_the_default_hours(self):
        move = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=self._ruler("email", 1).id
        )
        with self.mock_mail_gateway():
            # 19:30 in Fortaleza: within the default hours for email.
            self.assertEqual(self._run(utc(2026, 3, 11, 22, 30))["done"], 1)
        self.assertEqual(move.collection_event_ids.state, "done")

    def test_no_contact_on_a_national_holiday(self):
        # Tiradentes, Tuesday 21 April 2026: the step goes on Wednesday.
        move = self._create_invoice(collection_ruler_id=self._ruler("email", 42).id)
        with self.mock_mail_gateway():
            counters = self._run(utc(2026, 4, 21, 15, 0))
            self.assertEqual(counters["deferred"], 1)
            self.assertEqual(
                move.collection_event_ids.scheduled_date.isoformat(), "2026-04-22"
            )
            self.assertEqual(self._run(utc(2026, 4, 22, 15, 0))["done"], 1)
        self.company.country_id = self.env.ref("base.us")
        other = self._create_invoice(collection_ruler_id=self._ruler("email", 42).id)
        with self.mock_mail_gateway():
            self.assertEqual(self._run(utc(2026, 4, 21, 15, 0))["done"], 1)
        self.assertEqual(other.collection_event_ids.state, "done", "not its holiday")

    def test_a_channel_without_hours_keeps_the_default_hours(self):
        """A channel with no hours of its own, a new one for example, keeps
        the hours shipped for every channel: never none."""
        Window = self.env["collection.contact.window"]
        Window.search([("channel", "=", "email")]).active = False
        move = self._create_invoice(collection_ruler_id=self._ruler("email", 5).id)
        with self.mock_mail_gateway():
            # Sunday 15 March, noon in São Paulo.
            self.assertEqual(self._run(utc(2026, 3, 15, 15, 0))["deferred"], 1)
        event = move.collection_event_ids
        self.assertEqual(event.deferred_until, datetime(2026, 3, 16).date())
        default = self.env.ref("collection_ruler.contact_window_default")
        self.assertFalse(default.channel)
        self.assertIn(default.name, event.failure_reason)
        # Without any hours at all, nothing holds it.
        default.active = False
        other = self._create_invoice(collection_ruler_id=move.collection_ruler_id.id)
        with self.mock_mail_gateway():
            self.assertEqual(self._run(utc(2026, 3, 15, 16, 0))["done"], 1)
        self.assertEqual(other.collection_event_ids.state, "done")

    def test_a_letter_keeps_the_hours_of_how_it_goes(self):
        """Emailed, a letter keeps the email's hours; to post, it contacts
        nobody when it is rendered, and is not held."""
        self.company.write({"vat": "11.222.333/0001-81", "street": "Rua A, 1"})
        ruler = self._ruler("letter", 5)
        ruler.step_ids.write({"letter_type": "nej_light", "letter_send_email": True})
        emailed = self._create_invoice(collection_ruler_id=ruler.id)
        self.customer_2.write({"email": False, "street": "Rua B, 2", "city": "Sobral"})
        posted = self._create_invoice(
            partner=self.customer_2, collection_ruler_id=ruler.id
        )
        with (
            self.mock_mail_gateway(),
            mute_logger("odoo.addons.base.models.ir_actions_report"),
        ):
            # Sunday 15 March, noon in São Paulo.
            counters = self._run(utc(2026, 3, 15, 15, 0), force_report_rendering=True)
        self.assertEqual((counters["done"], counters["deferred"]), (1, 1))
        self.assertEqual(posted.collection_event_ids.letter_delivery, "print")
        event = emailed.collection_event_ids
        self.assertEqual(event.state, "scheduled")
        self.assertEqual(event.deferred_until, datetime(2026, 3, 16).date())
        self.assertIn("Default contact hours", event.failure_reason)

    def test_collectors_read_the_hours_managers_set_them(self):
        window = self.env.ref("collection_ruler.contact_window_al_sms")
        collector = mail_new_test_user(
            self.env,
            login="window_collector",
            groups="base.group_user,collection_ruler.group_collection_user",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertEqual(window.with_user(collector).weekday_to, 20.0)
        with self.assertRaises(AccessError):
            window.with_user(collector).weekday_to = 22.0
        manager = mail_new_test_user(
            self.env,
            login="window_manager",
            groups="base.group_user,collection_ruler.group_collection_manager",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        window.with_user(manager).weekday_to = 19.0
        self.assertEqual(window.weekday_to, 19.0)

    def test_a_defaulted_time_zone_gives_way_to_the_state(self):
        """A São Paulo customer created by a user in UTC gets UTC by default:
        it is not contacted at 05:17, Brasília time."""
        sao_paulo = self.env.ref("base.state_br_sp")
        with Form(self.env["res.partner"].with_context(tz="UTC")) as form:
            form.name = "Mercado Paulista"
            form.email = "contas@mercado.example.com"
            form.country_id = self.env.ref("base.br")
            form.state_id = sao_paulo
        partner = form.record
        self.assertEqual(partner.tz, "UTC", "defaulted from the user")
        self.assertFalse(partner.collection_tz_chosen)
        self.assertEqual(
            partner.collection_tz_warning,
            "The time zone UTC differs from America/Sao_Paulo, the one of São "
            "Paulo: the contact hours follow America/Sao_Paulo, since UTC only "
            "came from the user who created the contact. Choose the contact's "
            "time zone to have them follow it.",
        )
        move = self._create_invoice(
            partner=partner, collection_ruler_id=self._ruler("email", 1).id
        )
        event = move.collection_event_ids
        with self.mock_mail_gateway():
            # Wednesday 11 March, 08:17 UTC: 05:17 in São Paulo.
            self.assertEqual(self._run(utc(2026, 3, 11, 8, 17))["done"], 0)
            self.assertEqual(event.not_before, utc(2026, 3, 11, 11, 0))
            self.assertFalse(self._mails_to(partner))
            # 8:00 in São Paulo.
            self.assertEqual(self._run(utc(2026, 3, 11, 11, 0))["done"], 1)
        self.assertEqual(event.state, "done")

    def test_a_chosen_time_zone_wins_over_the_state(self):
        sao_paulo = self.env.ref("base.state_br_sp")
        Partner = self.env["res.partner"].with_context(tz="UTC")
        created, written, same = Partner.create(
            [
                # What the web client sends: the default among the values.
                {"name": "Chosen", "state_id": sao_paulo.id, "tz": "Europe/Lisbon"},
                {"name": "Written", "state_id": sao_paulo.id, "tz": "UTC"},
                {"name": "Same", "state_id": sao_paulo.id, "tz": "America/Bahia"},
            ]
        )
        self.assertTrue(created.collection_tz_chosen)
        self.assertFalse(written.collection_tz_chosen)
        written.tz = "UTC"
        self.assertTrue(written.collection_tz_chosen)
        Window = self.env["collection.contact.window"]
        self.assertEqual(Window._get_tz(created).zone, "Europe/Lisbon")
        self.assertEqual(Window._get_tz(written).zone, "UTC")
        self.assertIn("the contact hours follow UTC", written.collection_tz_warning)
        self.assertEqual(Window._get_tz(same).zone, "America/Bahia")
        self.assertFalse(same.collection_tz_warning, "the same hour as São Paulo")
        self.assertFalse(
            Partner.create({"name": "Abroad", "tz": "UTC"}).collection_tz_warning
        )
        written.tz = False
        self.assertEqual(Window._get_tz(written).zone, "America/Sao_Paulo")
