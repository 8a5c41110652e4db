import polib
from freezegun import freeze_time

from odoo.modules.module import get_module_path
from odoo.tests import tagged

from .common import CollectionRulerCommon, day


@tagged("post_install", "-at_install")
class TestCollectionTranslation(CollectionRulerCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br()

    def test_messages_in_customer_language(self):
        """A pt_BR customer gets the email and the step labels in Portuguese."""
        self.customer.lang = "pt_BR"
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))
        mail = self._mails_to(self.customer)
        self.assertIn("vence hoje", mail.subject)
        self.assertIn("Olá, Padaria Pão Quente,", mail.body_html)
        self.assertIn("Sua fatura", mail.body_html)
        # A company is addressed as one, its CNPJ telling even without the
        # company flag, as in the letters.
        self.customer.vat = "11.222.333/0001-81"
        self.assertFalse(self.customer.is_company)
        self._create_invoice(due=day(1).date())
        with self.mock_mail_gateway():
            self._run(day(1))
        self.assertIn("Prezados,", self._mails_to(self.customer).body_html)
        step = self.step_before.with_context(lang="pt_BR")
        self.assertEqual(step.offset_label, "3 dias antes da data de vencimento")
        self.assertEqual(move.collection_event_ids.mapped("state").count("done"), 1)

    def test_every_term_has_its_pt_br_translation(self):
        """pt_BR.po translates every term of the template, and has no stale one."""
        i18n = f"{get_module_path('collection_ruler')}/i18n"
        pot = {entry.msgid for entry in polib.pofile(f"{i18n}/collection_ruler.pot")}
        po = polib.pofile(f"{i18n}/pt_BR.po")
        translated = {e.msgid for e in po if e.msgstr and "fuzzy" not in e.flags}
        self.assertFalse(sorted(pot - translated), "terms without a pt_BR translation")
        self.assertFalse(sorted({e.msgid for e in po} - pot), "stale pt_BR terms")

    def test_notice_period_state_reads_uf(self):
        field = (
            self.env["collection.bureau.notice.period"]
            .with_context(lang="pt_BR")
            .fields_get(["state_id"])["state_id"]
        )
        self.assertEqual(field["string"], "UF")

    def test_a_run_writes_its_reasons_in_the_company_language(self):
        """Whoever starts the run, its staff reads the company's language."""
        self.company.partner_id.lang = "pt_BR"
        self.assertEqual(self.env.user.lang, "en_US")
        late = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(1))
        skipped = self._events(late)[self.step_before]
        self.assertEqual(skipped.state, "skipped")
        step = self.step_due.with_context(lang="pt_BR").name
        self.assertNotEqual(step, self.step_due.name, "the step's name in pt_BR too")
        self.assertEqual(
            skipped.failure_reason,
            f"Execução atrasada: a etapa {step} foi enviada em seu lugar.",
        )

        # A ruler applied late: the steps already past, in Portuguese too.
        with self.mock_mail_gateway():
            other = self._create_invoice(partner=self.customer_2)
            wizard = (
                self.env["collection.ruler.apply"]
                .with_context(active_model="account.move", active_ids=other.ids)
                .create({"ruler_id": self.ruler.copy().id})
            )
            with freeze_time(day(4)):
                wizard.action_apply()
        reasons = set(other.collection_event_ids.mapped("failure_reason"))
        self.assertIn(
            "Data já passada quando a régua foi aplicada: etapa não enviada.",
            reasons,
        )

    # ------------------------------------------------------------------
    # What a session in another language stores: the company's language
    # ------------------------------------------------------------------

    def test_a_payment_from_an_english_session_stores_portuguese_reasons(self):
        """A customer's English portal session pays: the steps it cancels say
        why in the company's language, as the bureau's removal does."""
        self.company.partner_id.lang = "pt_BR"
        self.customer.vat = "11.444.777/0001-61"
        move = self._create_invoice()
        bureau_event = move.collection_event_ids.filtered(
            lambda e: e.channel == "credit_bureau"
        )
        registration = self.env["collection.bureau.registration"].create(
            self.env["collection.bureau.registration"]._prepare_registration_values(
                bureau_event, day(0).date()
            )
        )
        english = self.env(context=dict(self.env.context, lang="en_US"))
        english["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"amount": 1000.0, "payment_date": day(1)})._create_payments()
        self.assertIn(move.payment_state, ("paid", "in_payment"))
        self.assertEqual(
            set(move.collection_event_ids.mapped("failure_reason")),
            {"A fatura está paga."},
        )
        self.assertEqual(registration.state, "cancelled")
        self.assertIn(
            "Cancelada antes de ser enviada ao órgão de proteção ao crédito: "
            "A fatura está paga.",
            registration.message_ids[0].body,
        )

    def test_a_dispute_a_promise_and_a_removal_from_english_sessions(self):
        """Disputes, portal promises, their settlement by the run, a step's
        change and a removal asked by hand: stored in Portuguese."""
        self.company.partner_id.lang = "pt_BR"
        disputed = self._create_invoice()
        disputed.with_context(lang="en_US").collection_dispute_reason = "Devolvida"
        self.assertEqual(
            set(disputed.collection_event_ids.mapped("failure_reason")),
            {"O cliente contesta a fatura: Devolvida"},
        )

        self.customer_2.vat = "45.723.174/0001-10"
        promised = self._create_invoice(partner=self.customer_2)
        self.ruler.promise_max_days = 10
        with freeze_time(day(1)):
            promise = promised.with_context(lang="en_US")._collection_portal_promise(
                day(5).date()
            )
        self.assertTrue(promise)
        self.assertIn(
            "Oficina Boa Vista, pelo portal, registrou uma promessa de pagamento " "de",
            promised.message_ids[0].body,
        )
        self.assertIn("até 15/03/2026", promised.message_ids[0].body)
        self.env.invalidate_all()
        with freeze_time(day(7)):
            self.env["collection.promise"].with_context(lang="en_US")._cron_check()
        self.assertEqual(promise.state, "broken")
        self.assertIn("Cobrança: promessa quebrada", promised.message_ids[0].body)

        step = self.step_sms.with_context(lang="en_US")
        event = self._events(promised)[self.step_sms]
        self.assertEqual(event.state, "scheduled")
        step.on_broken_promise = True
        self.assertEqual(
            event.failure_reason,
            "A etapa só é executada quando uma promessa é quebrada.",
        )

        bureau_event = promised.collection_event_ids.filtered(
            lambda e: e.channel == "credit_bureau"
        )
        registration = self.env["collection.bureau.registration"].create(
            self.env["collection.bureau.registration"]._prepare_registration_values(
                bureau_event, day(0).date()
            )
        )
        registration.with_context(lang="en_US").action_request_removal()
        self.assertIn(
            "Cancelada antes de ser enviada ao órgão de proteção ao crédito: "
            "Solicitada por",
            registration.message_ids[0].body,
        )

    def test_a_provider_status_from_an_english_request_fails_in_portuguese(self):
        """A provider's failed status fails the event, with a Portuguese note."""
        self.company.partner_id.lang = "pt_BR"
        move = self._create_invoice()
        event = self._events(move)[self.step_due]
        provider = self.env["collection.provider"].create(
            {
                "name": "WhatsApp",
                "code": "whatsapp_cloud",
                "state": "test",
                "company_id": self.company.id,
            }
        )
        Message = self.env["collection.provider.message"].sudo()
        message = Message.create(
            {
                "provider_id": provider.id,
                "event_id": event.id,
                "recipient": "5511987654321",
                "state": "sent",
            }
        )
        event.write({"state": "done", "provider_message_id": message.id})
        message.with_context(lang="en_US").sudo()._apply_status(
            "failed", day(0), reason="(131026) Message undeliverable"
        )
        self.assertEqual(event.state, "failed")
        step = self.step_due.with_context(lang="pt_BR").name
        self.assertIn(
            f"A etapa de cobrança {step} falhou: (131026) Message undeliverable",
            move.message_ids[0].body,
        )

    def test_a_bounce_reported_in_english_fails_in_portuguese(self):
        """A bounce the mail gateway reports, in the language of no one, fails
        the event with a Portuguese reason and note."""
        self.company.partner_id.lang = "pt_BR"
        move = self._create_invoice()
        with self.mock_mail_gateway():
            self._run(day(0))
        event = self._events(move)[self.step_due]
        self.assertEqual(event.state, "done")
        self.env["mail.thread"].with_context(lang="en_US")._routing_handle_bounce(
            None,
            {
                "bounced_message": event.message_id,
                "bounced_email": "customer@example.com",
                "bounced_partner": self.env["res.partner"],
                "bounced_msg_ids": [],
                "email_from": "MAILER-DAEMON@example.com",
                "to": "bounce@example.com",
                "message_id": "<bounce@example.com>",
            },
        )
        self.assertEqual(event.state, "failed")
        self.assertEqual(
            event.failure_reason, "O e-mail para customer@example.com foi devolvido."
        )
        self.assertIn("falhou", move.message_ids[0].body)
