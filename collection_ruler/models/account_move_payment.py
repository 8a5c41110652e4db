from odoo import api, fields, models


class AccountMove(models.Model):
    """How a customer pays from a collection message: the pay link, Pix and
    the boleto, ready for email, SMS and letter templates."""

    # The invoice model is long: its payment instructions live apart.
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    collection_boleto_line = fields.Char(
        string="Boleto Digitable Line",
        copy=False,
        tracking=True,
        help="The digitable line of this invoice's boleto, printed in collection "
        "letters, emails and SMS. Banking modules can fill it in.",
    )
    collection_pay_url = fields.Char(
        string="Pay Link",
        compute="_compute_collection_payment",
        help="The customer-portal link, with its access token, to view and pay "
        "this invoice.",
    )
    collection_pix_code = fields.Char(
        string="Pix Copy and Paste Code",
        compute="_compute_collection_payment",
        help="The Pix code for the amount the reminders quote, when the company "
        "has a bank account with a Pix key (Brazil's localization).",
    )

    @api.depends("access_token", "amount_residual")
    def _compute_collection_payment(self):
        for move in self:
            posted = move.state == "posted" and move.move_type == "out_invoice"
            move.collection_pay_url = posted and move._collection_get_pay_url()
            pix = posted and move._collection_get_pix(
                move.collection_amount_due, with_qr_code=False
            )
            move.collection_pix_code = (pix or {}).get("payload", False)

    def _collection_get_pay_url(self):
        """The tokenized customer-portal link to view and pay this invoice."""
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    def _collection_get_pix_bank(self):
        """The company bank account with a Pix key to receive this invoice on.

        Pix codes come from Odoo's EMV QR support (``account_qr_code_emv``,
        with Brazil's ``l10n_br``); without it there is none.

        :return: res.partner.bank record, possibly empty
        """
        self.ensure_one()
        Bank = self.env["res.partner.bank"]
        if "proxy_type" not in Bank._fields:
            return Bank
        candidates = self.partner_bank_id | self.company_id.partner_id.bank_ids
        return candidates.filtered(
            lambda bank: bank.proxy_type not in (False, "none") and bank.proxy_value
        )[:1]

    def _collection_get_pix(self, amount=None, with_qr_code=True):
        """The Pix of this invoice: its copy-and-paste code and QR code.

        The one place every letter, email and SMS gets its Pix from. This
        static Pix, from Odoo's EMV QR support and the company's Pix key, is
        what a Pix provider module overrides to give a dynamic Pix (a charge
        with its own identifier, due date, fine and interest).

        :param amount: the amount to ask for (default: the amount due)
        :param bool with_qr_code: also render the QR code image
        :return: dict with ``payload`` and, asked for, ``qr_code`` (a data
            URI), or an empty dict when no Pix code can be made
        """
        self.ensure_one()
        bank = self._collection_get_pix_bank()
        if not bank:
            return {}
        amount = self.amount_residual if amount is None else amount
        vals = bank._build_qr_code_vals(
            amount,
            self.payment_reference or self.name,
            None,
            self.currency_id,
            self.partner_id,
            qr_method="emv_qr",
            silent_errors=True,
        )
        if not vals:
            return {}
        pix = {"payload": bank._get_qr_vals(**vals)}
        if with_qr_code:
            pix["qr_code"] = bank._get_qr_code_base64(**vals)
        return pix
