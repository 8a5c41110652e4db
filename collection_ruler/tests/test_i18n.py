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
