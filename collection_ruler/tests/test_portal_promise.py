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
