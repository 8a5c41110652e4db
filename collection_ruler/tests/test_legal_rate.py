"""The legal interest rate (Civil Code art. 406, as amended by Lei
14.905/2024): 1% a month before 30 August 2024, then each month's figure;
and the IPCA correction (art. 389, sole paragraph) from that day."""

from datetime import date

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .test_letters import CollectionLetterCommon


@tagged("post_install", "-at_install")
class TestLegalRate(CollectionLetterCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Rate = cls.env["collection.legal.rate"]
        # Figures of the test, not the Central Bank's: October is left out.
        Rate.create(
            [
                {"month": date(2024, 8, 1), "rate": 0.30, "ipca": -0.02},
                {"month": date(2024, 9, 15), "rate": 0.40, "ipca": 0.44},
                {"month": date(2024, 11, 1), "rate": 0.50, "ipca": 0.39},
            ]
        )
        cls.ruler.write({"interest_rule": "legal", "fine_percent": 2.0})
        cls.move = cls._create_invoice(due=date(2024, 8, 15), amount=1000.0)

    def test_interest_across_30_august_2024_by_hand(self):
        interest, missing = self.env["collection.legal.rate"]._get_interest(
            1000.0, date(2024, 8, 15), date(2024, 11, 10)
        )
        expected = (
            1000 * 0.01 / 30 * 14  # 16 to 29 August: the former 1% a month
            + 1000 * 0.0030 / 30 * 2  # 30 and 31 August: August's figure
            + 1000 * 0.0040 / 30 * 30  # September
            + 1000 * 0.0040 / 30 * 31  # October: none, September's applies
            + 1000 * 0.0050 / 30 * 10  # 1 to 10 November
        )
        self.assertAlmostEqual(interest, expected, places=6)
        self.assertAlmostEqual(interest, 14.666667, places=5)
        self.assertEqual(missing, [date(2024, 10, 1)])
        # Wholly before the law: 1% a month, as before.
        before, missing = self.env["collection.legal.rate"]._get_interest(
            1000.0, date(2024, 6, 30), date(2024, 7, 30)
        )
        self.assertAlmostEqual(before, 10.0, places=6)
        self.assertFalse(missing)

    def test_charges_and_letter_use_the_legal_rate(self):
        self.assertEqual(self.move.collection_ruler_id, self.ruler)
        charges = self.move._collection_get_charges(date(2024, 11, 10))
        self.assertEqual(
            (charges["fine"], charges["interest"], charges["total"]),
            (20.0, 14.67, 1034.67),
        )
        self.assertEqual(charges["interest_rule"], "legal")
        _html, text = self._render_letter("nej_light", self.move, date(2024, 11, 10))
        self.assertIn("interest at the legal rate of each month", text)
        self.assertIn("at the legal rate, as provided for by articles 389, 395", text)
        self.assertNotIn("as agreed", text)
        self._load_pt_br()
        self.customer.lang = "pt_BR"
        _html, text = self._render_letter("nej_light", self.move, date(2024, 11, 10))
        self.assertIn("taxa legal", text)
        self.assertNotIn("conforme pactuado", text)

    def test_a_contract_rate_is_stated_as_agreed(self):
        self.ruler.interest_rule = "contract"
        charges = self.move._collection_get_charges(date(2024, 11, 10))
        # 1% a month agreed, over 87 days late.
        self.assertEqual(charges["interest"], round(1000 * 0.01 / 30 * 87, 2))
        _html, text = self._render_letter("nej_light", self.move, date(2024, 11, 10))
        self.assertIn("as agreed", text)
        self.assertIn("interest of 1.00% per month", text)

    def test_a_rate_is_monthly_and_never_negative(self):
        Rate = self.env["collection.legal.rate"]
        self.assertEqual(
            Rate.search([("rate", "=", 0.40)]).month,
            date(2024, 9, 1),
            "any day of the month, the first is kept",
        )
        with self.assertRaisesRegex(ValidationError, "floored at zero"):
            Rate.create({"month": date(2025, 1, 1), "rate": -0.1})
        with self.assertRaisesRegex(ValidationError, "starts in August 2024"):
            Rate.create({"month": date(2024, 5, 1), "rate": 0.5})

    def test_the_ipca_correction_by_hand(self):
        correction, missing = self.env["collection.legal.rate"]._get_correction(
            1000.0, date(2024, 8, 15), date(2024, 11, 10)
        )
        factor = (
            # 16 to 29 August: before the law, not corrected
            (1 - 0.0002 * 2 / 31)  # 30 and 31 August: August's deflation
            * 1.0044  # September
            * 1.0044  # October: none, September's applies
            * (1 + 0.0039 * 10 / 30)  # 1 to 10 November
        )
        self.assertAlmostEqual(correction, 1000 * (factor - 1), places=6)
        self.assertAlmostEqual(correction, 10.118, places=3)
        self.assertEqual(missing, [date(2024, 10, 1)])

    def test_a_ruler_correcting_by_the_ipca(self):
        self.ruler.correction_index = "ipca"
        when = date(2024, 11, 10)
        charges = self.move._collection_get_charges(when)
        self.assertEqual(
            (
                charges["correction"],
                charges["fine"],
                charges["interest"],
                charges["total"],
            ),
            (10.12, 20.0, 14.67, 1044.79),
            "the fine and the interest on the amount before correction",
        )
        self.assertEqual(
            self.move.with_context(
                collection_date=when
            ).collection_charges_summary.replace("\xa0", " "),
            "Principal $ 1,000.00 + IPCA correction $ 10.12 + late fine $ 20.00 + "
            "interest $ 14.67 (legal rate, Civil Code art. 406) = $ 1,044.79",
        )
        _html, text = self._render_letter("nej_light", self.move, when)
        self.assertIn("Correction (IPCA)", text)
        self.assertIn("corrected by the IPCA of each month since 30 August 2024", text)
        self.assertIn("1,044.79", text)
        self.assertIn("the correction, late fine and interest above are then", text)
        self._load_pt_br()
        self.customer.lang = "pt_BR"
        _html, text = self._render_letter("nej_light", self.move, when)
        self.assertIn("Correção (IPCA)", text)
        self.assertIn("corrigido pelo IPCA de cada mês", text)
        self.customer.lang = "en_US"
        self.ruler.correction_index = "none"
        _html, text = self._render_letter("nej_light", self.move, when)
        self.assertNotIn("Correction (IPCA)", text)
