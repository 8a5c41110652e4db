"""What a customer pays from: the short pay link, Pix and the boleto line,
in emails and SMS, and what SMS cost in segments."""

import re

from odoo.tests import tagged

from odoo.addons.sms.tests.common import SMSCommon

from ..models.collection_channel_sms import sms_segments, to_gsm7
from .common import CollectionRulerCommon, day

BOLETO = "23793.38128 60000.000003 00000.000402 1 84340000100000"


def pix_crc(payload):
    """CRC16-CCITT (poly 0x1021, start 0xFFFF) of an EMV payload, as Pix
    computes it over everything before the last four characters."""
    crc = 0xFFFF
    for byte in payload[:-4].encode():
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return f"{crc:04X}"


@tagged("post_install", "-at_install")
class TestPaymentInstructions(CollectionRulerCommon, SMSCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {
                "name": "Padaria Pão Quente Ltda",
                "vat": "11.222.333/0001-81",
                "street": "Rua Augusta, 1500",
                "city": "São Paulo",
                "zip": "01304-001",
            }
        )
        # The reminders on their own: letters and the bureau have their tests.
        cls.ruler.step_ids.filtered(
            lambda s: s.channel in ("letter", "credit_bureau")
        ).active = False
        brl = cls.env.ref("base.BRL")
        brl.active = True
        cls.env["res.currency.rate"].create(
            {"currency_id": brl.id, "name": "2026-01-01", "rate": 5.0}
        )
        cls.bank = cls.env["res.partner.bank"].create(
            {
                "acc_number": "12345-6",
                "partner_id": cls.company.partner_id.id,
                "proxy_type": "br_random",
                "proxy_value": "71d6c6e1-64ea-4a11-9560-a10870c40ca2",
            }
        )
        cls.move = cls._create_invoice(
            currency_id=brl.id,
            partner_bank_id=cls.bank.id,
            amount=8744.46,
            collection_boleto_line=BOLETO,
        )
        cls.pix_template = cls.env.ref(
            "collection_ruler.sms_template_collection_overdue_pix"
        )

    def _sms_body(self, **step_values):
        self.step_sms.write(step_values)
        with self.mock_mail_gateway(), self.mockSMSGateway():
            self._run(day(7))
        sms = self._events(self.move)[self.step_sms].sms_id
        self.assertTrue(sms, self._events(self.move)[self.step_sms].failure_reason)
        return sms.body

    def test_the_email_carries_pix_and_the_boleto_line(self):
        with self.mock_mail_gateway():
            self._run(day(0))
        body = self._mails_to(self.customer).body_html
        payload = self.move.collection_pix_code
        self.assertTrue(payload.startswith("000201"))
        self.assertIn("br.gov.bcb.pix", payload)
        self.assertIn("54078744.46", payload, "the amount due, in the code")
        self.assertEqual(payload[-4:], pix_crc(payload), "a valid CRC")
        self.assertIn(payload, body)
        self.assertIn(BOLETO, body)
        self.assertIn(self.move.collection_pay_url, body)

    def test_a_pix_provider_overrides_one_hook(self):
        Move = type(self.env["account.move"])
        original = Move._collection_get_pix

        def dynamic_pix(move, amount=None, with_qr_code=True):
            return {"payload": f"DYNAMIC-{move.name}"}

        Move._collection_get_pix = dynamic_pix
        try:
            self.move.invalidate_recordset(["collection_pix_code"])
            self.assertEqual(self.move.collection_pix_code, f"DYNAMIC-{self.move.name}")
        finally:
            Move._collection_get_pix = original

    def test_the_default_sms_is_two_gsm7_segments(self):
        body = self._sms_body()
        self.assertIn("Padaria Pao Quente Ltda", body, "written without accents")
        # Itemised, and the creditor identified (CDC art. 42-A).
        self.assertIn(
            "Principal R$ 8,744.46 + late fine R$ 174.89 + interest R$ 20.40 "
            "(1.00% a month, as agreed) = R$ 8,939.75.",
            body,
        )
        self.assertTrue(
            body.endswith(
                " - CNPJ 11.222.333/0001-81, Rua Augusta, 1500, Sao Paulo, "
                "01304-001, Brazil"
            ),
            body,
        )
        encoding, length, segments = sms_segments(body)
        self.assertEqual((encoding, segments), ("GSM-7", 2), f"{length}: {body}")
        short_url = re.search(r"https?://\S+/r/\w+", body)[0]
        code = short_url.rsplit("/", 1)[1]
        tracker = self.env["link.tracker.code"].search([("code", "=", code)]).link_id
        self.assertEqual(tracker.url, self.move.collection_pay_url, "it leads to pay")

    def test_the_default_sms_in_portuguese(self):
        self._load_pt_br()
        self.customer.lang = "pt_BR"
        body = self._sms_body()
        self.assertIn("venceu em", body)
        self.assertIn("Principal R$ 8.744,46 + multa", body)
        self.assertEqual(sms_segments(body)[::2], ("GSM-7", 2), body)

    def test_accents_kept_on_demand_cost_ucs2(self):
        body = self._sms_body(sms_gsm7=False)
        self.assertIn("Padaria Pão Quente Ltda", body)
        self.assertEqual(sms_segments(body)[0], "UCS-2")
        self.assertNotIn("\xa0", body, "no no-break space from the amount")

    def test_the_sms_with_pix_and_boleto(self):
        body = self._sms_body(sms_template_id=self.pix_template.id)
        payload = self.move.collection_pix_code
        self.assertIn(f"Pix: {payload}", body)
        self.assertEqual(payload[-4:], pix_crc(payload))
        self.assertIn(f"Boleto: {BOLETO}", body)
        self.assertGreater(sms_segments(body)[2], 1, "longer, as its name says")

    def test_the_step_form_counts_the_segments(self):
        self.assertEqual(
            self.step_sms.sms_segment_info,
            "Shown once an invoice has been sent to a customer.",
        )
        self.move._portal_ensure_token()
        self.step_sms.invalidate_recordset(["sms_segment_info"])
        self.assertRegex(
            self.step_sms.sms_segment_info,
            rf"^2 segments: \d+ characters in GSM-7, for {self.move.name}$",
        )
        self.step_sms.sms_template_id = self.pix_template
        self.assertRegex(self.step_sms.sms_segment_info, r"^[3-9] segments: ")

    def test_gsm7_conversion(self):
        self.assertEqual(to_gsm7("Ação não é"), "Acao nao é", "é is GSM-7")
        self.assertEqual(to_gsm7("R$\xa01.000,00"), "R$ 1.000,00")
        self.assertEqual(to_gsm7("Olá 🙂"), "Olá 🙂", "no GSM-7 form: left as is")
        self.assertEqual(sms_segments("a" * 160), ("GSM-7", 160, 1))
        self.assertEqual(sms_segments("a" * 161), ("GSM-7", 161, 2))
        self.assertEqual(sms_segments("€" * 80), ("GSM-7", 160, 1))
        self.assertEqual(sms_segments("ã" * 71), ("UCS-2", 71, 2))
