"""The customer's promise to pay, made on the invoice's portal page: the one
place where the customer acts."""

import re

from freezegun import freeze_time

from odoo.tests import tagged

from .common import CollectionRulerHttpCommon, day


@tagged("post_install", "-at_install")
class TestPortalPromise(CollectionRulerHttpCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.promise_ruler = cls._create_email_ruler("Late", Three=3)
        cls.promise_ruler.promise_max_days = 10

    def _page(self, move):
        response = self.url_open(move.get_portal_url())
        self.assertEqual(response.status_code, 200)
        return response.text

    def _promise(self, move, date, token=None):
        html = self._page(move)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)[1]
        return self.url_open(
            f"/my/invoices/{move.id}/collection_promise",
            data={
                "csrf_token": csrf,
                "access_token": token or move.access_token,
                "date": date,
            },
        )

    def test_a_promise_from_the_portal(self):
        move = self._create_invoice(collection_ruler_id=self.promise_ruler.id)
        move._portal_ensure_token()
        with freeze_time(day(2)):
            html = self._page(move)
            self.assertIn("Send the promise", html)
            self.assertIn('max="2026-03-22"', html, "within the ruler's 10 days")
            response = self._promise(move, "2026-03-20")
        self.assertIn("collection_promise=recorded", response.url)
        promise = move.collection_promise_ids
        self.assertEqual(
            (promise.source, promise.date.isoformat(), promise.amount, promise.state),
            ("portal", "2026-03-20", 1000.0, "open"),
        )
        self.assertIn("on the portal", move.message_ids[0].body)
        with freeze_time(day(2)):
            html = self._page(move)
        self.assertIn("you promised to pay by", html)
        self.assertNotIn("Send the promise", html, "one promise at a time")
        with self.mock_mail_gateway():
            self.assertEqual(self._run(day(3))["deferred"], 1, "the ruler waits")

    def test_a_promise_beyond_the_rulers_days_or_without_the_token(self):
        move = self._create_invoice(collection_ruler_id=self.promise_ruler.id)
        move._portal_ensure_token()
        with freeze_time(day(2)):
            late = self._promise(move, "2026-03-30")
            self.assertIn("collection_promise=refused", late.url)
            garbage = self._promise(move, "not a date")
            self.assertIn("collection_promise=refused", garbage.url)
            forged = self._promise(move, "2026-03-20", token="forged")
            self.assertIn("redirect=%2Fmy", forged.url, "sent away to log in")
        self.assertFalse(move.collection_promise_ids)
        self.promise_ruler.promise_max_days = 0
        with freeze_time(day(2)):
            self.assertNotIn("Send the promise", self._page(move))


@tagged("post_install", "-at_install")
class TestPortalOverdueInvoice(CollectionRulerHttpCommon):
    """The page of an overdue invoice shows what it owes today and how to pay
    it: the updated amount, its Pix and the page that pays all of them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_pt_br()
        cls.customer.lang = "pt_BR"
        cls.company.city = "São Paulo"  # the Pix names the creditor's city
        brl = cls.env.ref("base.BRL")
        brl.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": brl.id, "name": "2026-01-01", "rate": 5.0}
        )
        cls.env["res.partner.bank"].create(
            {
                "acc_number": "12345-6",
                "partner_id": cls.company.partner_id.id,
                "proxy_type": "br_random",
                "proxy_value": "71d6c6e1-64ea-4a11-9560-a10870c40ca2",
            }
        )
        cls.first, cls.second = (
            cls._create_invoice(currency_id=brl.id, amount=amount)
            for amount in (1000.0, 500.0)
        )
        for move in cls.first | cls.second:
            move._portal_ensure_token()

    def _page(self, move, when):
        """The invoice's page in Portuguese, as its customer opens it."""
        with freeze_time(when):
            response = self.url_open(f"/pt_BR{move.get_portal_url()}")
        self.assertEqual(response.status_code, 200)
        return response.text

    def test_the_updated_amount_the_pix_and_the_pay_all_link(self):
        html = self._page(self.first, day(5))
        self.assertIn("Esta fatura está vencida", html)
        # A 2% fine and 1% a month for 5 days: 1,000.00 + 20.00 + 1.67.
        for label, amount in (
            ("Valor atualizado", "1.021,67"),
            ("Multa por atraso", "20,00"),
            ("Juros", "1,67"),
        ):
            self.assertRegex(
                html, rf"{label}</td>\s*<td[^>]*>R\$\xa0<span[^>]*>{amount}</span>"
            )
        with freeze_time(day(5)):
            payload = self.first._collection_get_pix(1021.67, with_qr_code=False)[
                "payload"
            ]
        self.assertIn("54071021.67", payload, "the Pix asks the updated amount")
        self.assertIn(f'value="{payload}"', html)
        self.assertIn("o_collection_pix_copy", html, "a button copies it")
        self.assertIn('src="data:image/png;base64,', html, "with its QR code")
        pay_all = (self.first | self.second)._collection_get_pay_all_url()
        self.assertIn(f'href="{pay_all}"', html)
        # 1,021.67 + 510.83 for both.
        self.assertRegex(html, r"R\$\xa0<span[^>]*>1\.532,50</span></strong>")
        self.assertIn("Pagar todas em uma página", html)

    def test_nothing_for_an_invoice_not_overdue_or_alone(self):
        html = self._page(self.first, day(0))
        self.assertIn(self.first.name, html)
        self.assertNotIn("o_collection_overdue", html, "due today: not late")
        self.second.sudo().collection_excluded = True
        self.assertNotIn("o_collection_overdue", self._page(self.second, day(5)))
        self.second.sudo().collection_excluded = False
        self._pay(self.second, 500.0, day(1).date())
        html = self._page(self.first, day(5))
        self.assertIn("o_collection_overdue", html)
        self.assertNotIn("/collection/pay/", html, "no other overdue invoice")
        self._pay(self.first, 1000.0, day(6).date())
        self.assertNotIn("o_collection_overdue", self._page(self.first, day(7)))
