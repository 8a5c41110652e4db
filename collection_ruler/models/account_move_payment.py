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

    collection_letter_amount_due = fields.Monetary(
        string="Amount Due in Letters",
        compute="_compute_collection_letter_amounts",
        help="What a collection letter about this invoice claims today: the "
        "customer's overdue invoices in its currency.",
    )
    collection_letter_amount_updated = fields.Monetary(
        string="Updated Amount in Letters",
        compute="_compute_collection_letter_amounts",
        help="The amount a collection letter asks for today: the amount due "
        "plus the late fine and interest, which its Pix code collects.",
    )

    collection_letter_move_ids = fields.Many2many(
        comodel_name="account.move",
        string="Invoices in Letters",
        compute="_compute_collection_letter_amounts",
        help="The invoices a collection letter about this invoice claims today: "
        "the customer's overdue invoices in its currency.",
    )
    collection_letter_names = fields.Char(
        compute="_compute_collection_letter_amounts",
    )
    collection_letter_pay_url = fields.Char(
        string="Pay Link in Letters",
        compute="_compute_collection_letter_amounts",
        help="The page that pays what the letter claims: the invoice's own page, "
        "or the page paying all the claimed invoices, which the letter's short "
        "link also opens.",
    )
    collection_letter_pix_code = fields.Char(
        string="Pix Code in Letters",
        compute="_compute_collection_letter_amounts",
        help="The Pix code of the amount the letter asks for.",
    )

    @api.depends("amount_residual", "collection_ruler_id")
    @api.depends_context("collection_date")
    def _compute_collection_letter_amounts(self):
        Letter = self.env["report.collection_ruler.letter"]
        for move in self:
            rows, totals = [], {}
            if move.state == "posted" and move.move_type == "out_invoice":
                rows, totals = Letter._get_letter_rows(
                    move, move._collection_get_today()
                )
            claimed = self.browse([row["invoice"].id for row in rows])
            move.collection_letter_move_ids = claimed
            move.collection_letter_names = ", ".join(claimed.mapped("name"))
            move.collection_letter_amount_due = totals.get("due", 0.0)
            move.collection_letter_amount_updated = totals.get("total", 0.0)
            if len(claimed) > 1:
                move.collection_letter_pay_url = claimed._collection_get_pay_all_url()
            else:
                move.collection_letter_pay_url = claimed and move.collection_pay_url
            pix = rows and move._collection_get_pix(totals["total"], with_qr_code=False)
            move.collection_letter_pix_code = (pix or {}).get("payload", False)

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
        """The tokenized customer-portal link to view and pay this invoice.

        It pays what the invoice still owes: Odoo's payment links never ask
        for more, so a letter's late fine and interest are paid by Pix.
        """
        self.ensure_one()
        return self.get_base_url() + self.get_portal_url()

    @api.model
    def _collection_shorten_urls(self, urls):
        """Short links (``/r/<code>``, Odoo's link tracker) for ``urls``, all
        found or created at once.

        :param urls: an iterable of URLs
        :return: dict {url: short url}
        """
        urls = sorted(set(urls))
        if not urls:
            return {}
        trackers = (
            self.env["link.tracker"]
            .sudo()
            .search_or_create([{"url": url, "title": url} for url in urls])
        )
        codes = {}
        for code in (
            self.env["link.tracker.code"]
            .sudo()
            .search_fetch(
                [("link_id", "in", trackers.ids)], ["link_id", "code"], order="id"
            )
        ):
            codes[code.link_id.id] = code.code
        prefix = self.get_base_url() + "/r/"
        return {
            url: prefix + codes[tracker.id]
            for url, tracker in zip(urls, trackers, strict=True)
        }

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
