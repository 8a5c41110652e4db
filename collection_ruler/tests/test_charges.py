from datetime import date, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import DUE_DATE, CollectionRulerCommon


@tagged("post_install", "-at_install")
class TestLateCharges(CollectionRulerCommon):
    """A fine once late, then interest pro rata per day: shown, never posted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ruler.write({"fine_percent": 2.0, "interest_percent": 1.0})
        cls.customer.is_company = True

    def _charges(self, move, when):
        return move._collection_get_charges(when)

    def test_nothing_on_or_before_the_due_date(self):
        move = self._create_invoice()
        for when in (DUE_DATE - timedelta(days=3), DUE_DATE):
            charges = self._charges(move, when)
            self.assertEqual(
                (charges["days_late"], charges["fine"], charges["interest"]), (0, 0, 0)
            )
            self.assertEqual(charges["total"], 1000.0)

    def test_first_day_late_and_a_month_late(self):
        move = self._create_invoice()
        charges = self._charges(move, DUE_DATE + timedelta(days=1))
        # 2% fine at once; 1% a month over 30 days is 0.33 for one day.
        self.assertEqual(
            (charges["days_late"], charges["fine"], charges["interest"]),
            (1, 20.0, 0.33),
        )
        charges = self._charges(move, DUE_DATE + timedelta(days=30))
        self.assertEqual((charges["fine"], charges["interest"]), (20.0, 10.0))
        self.assertEqual(charges["total"], 1030.0)

    def test_partial_payment_charges_what_is_still_due(self):
        move = self._create_invoice()
        self._pay(move, 400.0, DUE_DATE + timedelta(days=2))
        charges = self._charges(move, DUE_DATE + timedelta(days=15))
        # On 600.00: a 12.00 fine and 600 x 1% / 30 x 15 = 3.00 of interest.
        self.assertEqual((charges["fine"], charges["interest"]), (12.0, 3.0))
        self.assertEqual(charges["total"], 615.0)

    def test_leap_year_counts_february_29(self):
        move = self._create_invoice(due=date(2028, 2, 27), amount=3000.0)
        charges = self._charges(move, date(2028, 3, 1))
        # 28 and 29 February and 1 March: 3 days, 3000 x 1% / 30 x 3 = 3.00.
        self.assertEqual((charges["days_late"], charges["interest"]), (3, 3.0))
        same_days_2027 = self._create_invoice(due=date(2027, 2, 27), amount=3000.0)
        self.assertEqual(
            self._charges(same_days_2027, date(2027, 3, 1))["days_late"], 2
        )

    def test_several_invoices_add_up_in_the_letter(self):
        move = self._create_invoice(amount=1000.0)
        older = self._create_invoice(due=DUE_DATE - timedelta(days=30), amount=500.0)
        context = {"collection_date": DUE_DATE + timedelta(days=10)}
        values = (
            self.env["report.collection_ruler.letter"]
            .with_context(**context)
            ._get_letter_values(move.with_context(**context), "nej_light")
        )
        self.assertEqual([row["invoice"] for row in values["rows"]], [move, older])
        # 1000: fine 20, interest 3.33; 500 (40 days): fine 10, interest 6.67.
        self.assertEqual(
            [(row["fine"], row["interest"]) for row in values["rows"]],
            [(20.0, 3.33), (10.0, 6.67)],
        )
        self.assertEqual(values["totals"]["total"], 1540.0)

    def test_fields_for_templates_follow_today(self):
        move = self._create_invoice()
        dated = move.with_context(collection_date=DUE_DATE + timedelta(days=3))
        self.assertEqual(dated.collection_days_late, 3)
        self.assertEqual(dated.collection_fine_amount, 20.0)
        self.assertEqual(dated.collection_interest_amount, 1.0)
        self.assertEqual(dated.collection_amount_updated, 1021.0)
        self.assertEqual(move.amount_residual, 1000.0, "nothing is posted")

    def test_fine_capped_at_2_percent_for_individuals(self):
        """The company's default ruler may charge companies more, never people."""
        self.ruler.fine_percent = 10.0
        person = self.env["res.partner"].create(
            {"name": "João da Silva", "vat": "529.982.247-25"}
        )
        business = self._create_invoice()
        individual = self._create_invoice(partner=person)
        late = DUE_DATE + timedelta(days=1)
        self.assertEqual(self._charges(business, late)["fine"], 100.0)
        self.assertEqual(self._charges(individual, late)["fine"], 20.0)
        self.assertEqual(self._charges(individual, late)["fine_percent"], 2.0)

    def test_fine_over_2_percent_refused_for_an_individual(self):
        high = self.env["collection.ruler"].create(
            {"name": "Business terms", "fine_percent": 10.0}
        )
        person = self.env["res.partner"].create({"name": "Ana Souza"})
        with self.assertRaisesRegex(ValidationError, "caps the fine"):
            person.collection_ruler_id = high
        low = self.env["collection.ruler"].create(
            {"name": "Consumer terms", "fine_percent": 2.0}
        )
        person.collection_ruler_id = low
        move = self._create_invoice(partner=person)
        self.assertEqual(move.collection_ruler_id, low)
        with self.assertRaisesRegex(ValidationError, "caps the fine"):
            move.collection_ruler_id = high
        with self.assertRaisesRegex(ValidationError, "Ana Souza is an individual"):
            low.fine_percent = 2.5
        # A company may agree to a higher fine.
        self.customer.collection_ruler_id = high
        self.assertEqual(self.customer.collection_ruler_id, high)

    def test_rates_must_make_sense(self):
        with self.assertRaises(ValidationError):
            self.ruler.fine_percent = -1
        with self.assertRaises(ValidationError):
            self.ruler.interest_percent = -0.5
