import io
import re
from datetime import timedelta

import lxml.html

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger
from odoo.tools.pdf import PdfFileReader

from .common import DUE_DATE, CollectionRulerHttpCommon

LETTER_TYPES = ("debit_notice", "nej_light", "nej_moderate", "nej_heavy")


def page_count(content):
    return PdfFileReader(io.BytesIO(content)).getNumPages()


class CollectionLetterCommon(CollectionRulerHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "vat": "11.222.333/0001-81",
                "street": "Avenida Paulista, 1000",
                "city": "São Paulo",
                "zip": "01310-100",
                "state_id": cls.env.ref("base.state_br_sp").id,
                "phone": "+55 11 3000-0000",
            }
        )
        cls.customer.write(
            {
                "vat": "529.982.247-25",
                "street": "Rua das Flores, 12",
                "city": "Niterói",
                "zip": "24020-000",
                "state_id": cls.env.ref("base.state_br_rj").id,
            }
        )
        # The letters here go out on day 5, a Sunday, and an emailed letter
        # keeps the email's contact hours: those have tests of their own
        # (test_windows.py).
        cls.env["collection.contact.window"].search([]).active = False

    def _render_letter(self, letter_type, moves, date, **context):
        """The letter's text, as the HTML report renders it on ``date``."""
        content, _type = (
            self.env["ir.actions.report"]
            .with_context(collection_date=date, **context)
            ._render_qweb_html(
                f"collection_ruler.action_report_{letter_type}", moves.ids
            )
        )
        text = lxml.html.fromstring(content).text_content()
        return content.decode(), re.sub(r"\s+", " ", text)

    def _render_pdf(self, letter_type, moves, date):
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            content, _type = (
                self.env["ir.actions.report"]
                .with_context(collection_date=date, force_report_rendering=True)
                ._render_qweb_pdf(
                    f"collection_ruler.action_report_{letter_type}", moves.ids
                )
            )
        return content


@tagged("post_install", "-at_install")
class TestLetterContent(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first = cls._create_invoice(due=DUE_DATE - timedelta(days=10), amount=400)
        cls.second = cls._create_invoice(amount=1000)
        cls.not_due = cls._create_invoice(due=DUE_DATE + timedelta(days=60))
        cls.other_customer = cls._create_invoice(partner=cls.customer_2)
        cls.disputed = cls._create_invoice(due=DUE_DATE - timedelta(days=5))
        cls.disputed.collection_excluded = True
        cls.letter_date = DUE_DATE + timedelta(days=20)

    def test_every_letter_carries_parties_debts_and_payment(self):
        for letter_type in LETTER_TYPES:
            with self.subTest(letter=letter_type):
                html, text = self._render_letter(
                    letter_type, self.second, self.letter_date
                )
                # The creditor, as art. 42-A asks, and the debtor.
                self.assertIn(self.company.name, text)
                self.assertIn("11.222.333/0001-81", text)
                self.assertIn("Avenida Paulista, 1000", text)
                self.assertIn("Padaria Pão Quente", text)
                self.assertIn("529.982.247-25", text)
                self.assertIn("Rua das Flores, 12", text)
                # Both overdue invoices of the customer, not the others.
                self.assertIn(self.first.name, text)
                self.assertIn(self.second.name, text)
                self.assertNotIn(self.not_due.name, text)
                self.assertNotIn(self.other_customer.name, text)
                self.assertNotIn(self.disputed.name, text, "excluded: disputed")
                # 1,400.00 due, fines of 8.00 + 20.00, interest of
                # 400 x 1% / 30 x 30 = 4.00 and 1000 x 1% / 30 x 20 = 6.67.
                self.assertIn("1,438.67", text)
                self.assertIn("28.00", text)
                self.assertIn("10.67", text)
                # A short pay link per invoice, and one for both: no long
                # URL on paper.
                self.assertNotIn("access_token", html)
                codes = re.findall(r'href="[^"]+/r/(\w+)"', html)
                trackers = (
                    self.env["link.tracker.code"]
                    .search([("code", "in", codes)])
                    .link_id
                )
                both = self.first | self.second
                self.assertEqual(
                    set(trackers.mapped("url")),
                    {m._collection_get_pay_url() for m in both}
                    | {both._collection_get_pay_all_url()},
                )
                self.assertIn("the late fine and interest above are then", text)
                self.assertNotIn("Boleto", text)
                # How to pay and the signature share a block no page breaks.
                closing = lxml.html.fromstring(html).xpath(
                    "//div[hasclass('o_collection_letter_closing')]"
                )[0]
                self.assertIn("page-break-inside: avoid", closing.get("style"))
                self.assertIn("How to pay", closing.text_content())
                self.assertIn("Sincerely", closing.text_content())

    def test_each_tone_has_its_own_wording_and_dates(self):
        self.ruler.protest_allowed = True
        texts = {
            letter_type: self._render_letter(
                letter_type, self.second, self.letter_date
            )[1]
            for letter_type in LETTER_TYPES
        }
        # Debit notice: the creditor warns, the bureau sends the art. 43
        # notice (to an individual); RJ's default period is 10 days.
        debit = texts["debit_notice"]
        self.assertIn("Debit Notice", debit)
        self.assertIn(
            "the credit protection bureau will send you the notice provided for "
            "by article 43, paragraph 2",
            debit,
        )
        self.assertNotIn("we inform you in writing", debit)
        # The bureau the ruler's step registers with, named.
        self.assertIn(
            "registration of your CPF with the credit protection bureau Serasa "
            "Experian.",
            debit,
        )
        self.assertIn("by 04/09/2026", debit)
        self.assertIn("from 04/10/2026, request the registration", debit)
        # Light: courteous, offers a plan.
        light = texts["nej_light"]
        self.assertIn("A friendly reminder", light)
        self.assertIn("payment plan, by 04/09/2026", light)
        self.assertIn("After 04/09/2026", light)
        self.assertNotIn("protest", light)
        # Moderate: formal request, bureau registration with its date.
        moderate = texts["nej_moderate"]
        self.assertIn("Second notice", moderate)
        self.assertIn("the oldest of them 30 days after its due date", moderate)
        self.assertIn("from 04/10/2026", moderate)
        self.assertNotIn("lawsuit", moderate)
        # Heavy: default, protest, registration and lawsuit, each dated.
        heavy = texts["nej_heavy"]
        self.assertIn("Extrajudicial Notification", heavy)
        self.assertIn("article 397", heavy)
        self.assertIn("from 04/10/2026: protest of the debt", heavy)
        # 30 days after the deadline is Saturday 9 May: the next business day.
        self.assertIn("from 05/11/2026: a collection lawsuit", heavy)
        self.assertIn("dispute the debt at any time", heavy, "no deadline to dispute")
        self.assertNotIn("in writing by", heavy)
        self.assertIn("letter of consent needed to cancel any protest", heavy)
        self.assertNotIn("every measure above ends", heavy)
        # No two tones share their main paragraph.
        openings = [
            "Our records show that the invoices below",
            "We are writing because we have not yet received",
            "The invoices below remain unpaid, the oldest of them",
            "By this extrajudicial notification",
        ]
        for letter_type, opening in zip(LETTER_TYPES, openings, strict=True):
            for other_type, other_text in texts.items():
                if other_type == letter_type:
                    self.assertIn(opening, other_text)
                else:
                    self.assertNotIn(opening, other_text)

    def test_protest_only_when_the_ruler_allows_it(self):
        """A plain invoice may not be protestable: the heavy letter announces
        a protest, and its carta de anuência, only when the ruler says so."""
        _html, heavy = self._render_letter("nej_heavy", self.second, self.letter_date)
        self.assertNotIn("protest", heavy)
        self.assertIn("any registration is removed within five business days.", heavy)
        self.ruler.protest_allowed = True
        _html, heavy = self._render_letter("nej_heavy", self.second, self.letter_date)
        self.assertIn("protest of the debt at the competent notary", heavy)
        self.assertIn("letter of consent needed to cancel any protest", heavy)

    def test_deadlines_fall_on_business_days(self):
        """Dated Thursday 26 March 2026, ten days end on Sunday 5 April: the
        deadline is Monday 6 April. Printed and posted, the letter gives its
        ten days from its arrival, ten business days later."""
        letter_date = DUE_DATE + timedelta(days=16)
        _html, light = self._render_letter("nej_light", self.second, letter_date)
        self.assertIn("payment plan, by 04/06/2026", light)
        _html, light = self._render_letter(
            "nej_light", self.second, letter_date, collection_posted=True
        )
        # Ten business days to arrive: Friday 10 April (Good Friday, 3 April,
        # is a national holiday); ten days on, Monday 20 April.
        self.assertIn("payment plan, by 04/20/2026", light)

    def test_earlier_reminders_and_letters_only_when_sent(self):
        """A letter says that reminders or letters went before only when they
        did."""
        moves = self.first | self.second
        _html, moderate = self._render_letter("nej_moderate", moves, self.letter_date)
        _html, heavy = self._render_letter("nej_heavy", moves, self.letter_date)
        self.assertNotIn("Despite our previous reminders", moderate)
        self.assertNotIn("despite the collection letters", heavy)
        self.assertIn("remains unpaid.", heavy)
        events = self.second.collection_event_ids
        events.filtered(lambda e: e.channel == "email")[:1].state = "done"
        _html, moderate = self._render_letter("nej_moderate", moves, self.letter_date)
        _html, heavy = self._render_letter("nej_heavy", moves, self.letter_date)
        self.assertIn("Despite our previous reminders", moderate)
        self.assertNotIn("despite the collection letters", heavy, "an email is none")
        notice = events.filtered(lambda e: e.step_id.letter_type == "debit_notice")
        self.assertTrue(notice, "the standard ruler sends a debit notice")
        notice.state = "done"
        _html, heavy = self._render_letter("nej_heavy", moves, self.letter_date)
        self.assertIn("despite the collection letters sent earlier", heavy)

    def test_debit_notice_deadline_covers_the_state_period(self):
        """A debtor of a state with a notice period of its own (20 days, set
        by the company) gets as long, as the registration waits as long."""
        sp = self.env.ref("base.state_br_sp")
        self.env["collection.bureau.notice.period"].create(
            {"state_id": sp.id, "days": 20, "note": "Our bureau contract"}
        )
        self.customer.state_id = sp
        _html, text = self._render_letter(
            "debit_notice", self.second, self.letter_date, collection_deadline_days=5
        )
        # Twenty days end on Sunday 19 April: the next business day.
        self.assertIn("by 04/20/2026", text)
        _html, light = self._render_letter(
            "nej_light", self.second, self.letter_date, collection_deadline_days=5
        )
        # Five days end on Saturday 4 April: Monday 6 April.
        self.assertIn("payment plan, by 04/06/2026", light)

    def test_boleto_line_printed(self):
        line = "34191.79001 01043.510047 91020.150008 1 96610000100000"
        self.second.collection_boleto_line = line
        _html, text = self._render_letter("nej_light", self.second, self.letter_date)
        self.assertIn(f"Boleto digitable line of invoice {self.second.name}", text)
        self.assertIn(line, text)
        self.assertIn("The links and boletos pay the amounts due", text)

    def test_pix_code_from_the_company_bank_account(self):
        """With Brazil's localization, a BRL invoice gets a Pix code."""
        brl = self.env.ref("base.BRL")
        brl.active = True
        self.env["res.currency.rate"].create(
            {"currency_id": brl.id, "name": "2026-01-01", "rate": 5.0}
        )
        bank = self.env["res.partner.bank"].create(
            {
                "acc_number": "12345-6",
                "partner_id": self.company.partner_id.id,
                "proxy_type": "br_random",
                "proxy_value": "71d6c6e1-64ea-4a11-9560-a10870c40ca2",
            }
        )
        move = self._create_invoice(currency_id=brl.id, partner_bank_id=bank.id)
        html, text = self._render_letter("debit_notice", move, self.letter_date)
        # What the letter asks for: 1,000.00, a 2% fine, 1% a month for 20
        # days; the same figure in its email.
        self.assertIn("1,026.67", text)
        letter_move = move.with_context(collection_date=self.letter_date)
        self.assertEqual(letter_move.collection_letter_amount_updated, 1026.67)
        pix = move._collection_get_pix(1026.67)
        self.assertTrue(pix["payload"].startswith("000201"))
        self.assertIn("br.gov.bcb.pix", pix["payload"])
        self.assertIn("71d6c6e1-64ea-4a11-9560-a10870c40ca2", pix["payload"])
        self.assertIn("54071026.67", pix["payload"], "the letter's total, in the code")
        self.assertIn(pix["payload"], text)
        self.assertIn('src="data:image/png;base64,', html)
        # No Pix key, no Pix block.
        bank.proxy_type = "none"
        _html, text = self._render_letter("debit_notice", move, self.letter_date)
        self.assertNotIn("br.gov.bcb.pix", text)

    def test_nothing_overdue_no_letter(self):
        with self.assertRaisesRegex(UserError, "no overdue invoice"):
            self._render_letter("nej_light", self.other_customer, DUE_DATE)

    def test_every_tone_renders_a_real_pdf(self):
        for letter_type in LETTER_TYPES:
            with self.subTest(letter=letter_type):
                content = self._render_pdf(letter_type, self.second, self.letter_date)
                self.assertTrue(content.startswith(b"%PDF"))
                self.assertGreaterEqual(page_count(content), 1)


@tagged("post_install", "-at_install")
class TestLetterTranslation(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br()
        cls.customer.lang = "pt_BR"

    def test_letters_in_customer_language(self):
        self.env.ref("base.br").with_context(lang="pt_BR").name = "Brasil"
        self.ruler.protest_allowed = True
        move = self._create_invoice()
        date = DUE_DATE + timedelta(days=20)
        expected = {
            "debit_notice": (
                "Aviso de Débito",
                "Antes de qualquer registro, o órgão de proteção ao crédito lhe "
                "enviará a comunicação prevista no art. 43, § 2º, do CDC.",
            ),
            "nej_light": ("Um lembrete cordial", "negociarmos um acordo"),
            "nej_moderate": (
                "Segunda notificação",
                "no órgão de proteção ao crédito Serasa Experian",
            ),
            "nej_heavy": (
                "Notificação Extrajudicial",
                "artigo 397",
                "contestar o débito a qualquer tempo",
                "carta de anuência",
            ),
        }
        for letter_type, phrases in expected.items():
            with self.subTest(letter=letter_type):
                _html, text = self._render_letter(letter_type, move, date)
                for phrase in phrases:
                    self.assertIn(phrase, text)
                self.assertIn("Credor", text)
                self.assertIn("Devedor", text)
                self.assertIn("Como pagar", text)
                self.assertIn("09/04/2026", text, "dates in the Brazilian format")
                # Wording a Brazilian writes: one invoice in the singular, the
                # tax id named by its type, no "(a)" endings, no tone named.
                if letter_type != "nej_heavy":  # a notification, not a letter
                    self.assertIn("Prezado(a) Padaria Pão Quente,", text)
                self.assertIn("Brasil", text, "the country in the letter's language")
                self.assertIn("CPF: 529.982.247-25", text)
                self.assertNotIn("CPF/CNPJ", text)
                self.assertNotIn("as faturas abaixo", text)
                self.assertNotIn("devedor(a)", text)
                self.assertEqual(text.count("desconsidere"), 1, "said once")

    def test_a_company_is_addressed_as_one(self):
        self.customer.write({"vat": "11.444.777/0001-61", "is_company": True})
        move = self._create_invoice()
        _html, notice = self._render_letter(
            "debit_notice", move, DUE_DATE + timedelta(days=20)
        )
        self.assertIn(
            "o órgão de proteção ao crédito lhe enviará a sua própria", notice
        )
        self.assertNotIn("CDC", notice, "the consumer code is for consumers")
        second = self._create_invoice(due=DUE_DATE + timedelta(days=1))
        _html, text = self._render_letter(
            "nej_moderate", move | second, DUE_DATE + timedelta(days=20)
        )
        self.assertIn("Prezados,", text)
        self.assertIn("CNPJ: 11.444.777/0001-61", text)
        self.assertIn("faturas abaixo continuam em aberto", text)
        self.assertIn("registro do seu CNPJ", text)
        self.assertIn("após a comunicação prévia por escrito do órgão", text)
        self.assertNotIn("Código de Defesa do Consumidor", text, "not a consumer")
        _html, heavy = self._render_letter(
            "nej_heavy", move, DUE_DATE + timedelta(days=20)
        )
        self.assertNotIn("Código de Defesa do Consumidor", heavy)

    def test_the_attachment_does_not_name_the_tone(self):
        move = self._create_invoice()
        Letter = self.env["collection.channel.letter"]
        self.assertEqual(
            Letter._get_letter_title("nej_heavy", move), "Notificação extrajudicial"
        )
        self.assertEqual(
            Letter._get_letter_title("nej_light", move), "Notificação extrajudicial"
        )
        self.assertEqual(
            Letter._get_letter_title("debit_notice", move), "Aviso de débito"
        )
