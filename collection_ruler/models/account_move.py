from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import consteq
from odoo.tools.misc import format_amount, format_date, formatLang, hmac
from odoo.tools.sql import column_exists, create_column

from .collection_channel import one_line
from .collection_ruler import INDIVIDUAL_FINE_CAP
from .collection_ruler_digest import PAY_ALL_SCOPE

# Changing one of these fields on an invoice may change its collection schedule.
COLLECTION_TRIGGER_FIELDS = {
    "collection_dispute_reason",
    "collection_excluded",
    "collection_ruler_id",
    "invoice_date_due",
    "payment_state",
    "state",
}


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        compute="_compute_collection_ruler_id",
        store=True,
        readonly=False,
        precompute=True,
        index="btree_not_null",
        check_company=True,
        tracking=True,
        help="The schedule of reminders for this invoice. It defaults to the "
        "customer's ruler, then to the company's.",
    )
    collection_ruler_chosen = fields.Boolean(
        string="Ruler Chosen for This Invoice",
        copy=False,
        readonly=True,
        help="Set when this invoice's ruler was chosen for it, rather than taken "
        "from its customer or company: a new ruler of the customer or company "
        "then leaves it alone.",
    )
    collection_excluded = fields.Boolean(
        string="Excluded from Collection",
        copy=False,
        tracking=True,
        help="No reminder is sent for this invoice, for example while it is disputed.",
    )
    collection_event_ids = fields.One2many(
        comodel_name="collection.ruler.event",
        inverse_name="move_id",
        string="Collection Timeline",
        readonly=True,
    )
    collection_next_date = fields.Date(
        string="Next Collection Step",
        compute="_compute_collection_next_date",
        store=True,
    )

    collection_next_step = fields.Char(
        string="Next Step",
        compute="_compute_collection_next_step",
        help="The next collection step of this invoice and when it runs. A step "
        "whose date has passed runs at the next scheduled run, which may skip "
        "it for a later one when it runs late.",
    )

    # === Late charges, as of today or the ``collection_date`` context key === #
    collection_days_late = fields.Integer(
        string="Days Late", compute="_compute_collection_charges"
    )
    collection_fine_amount = fields.Monetary(
        string="Late Fine", compute="_compute_collection_charges"
    )
    collection_interest_amount = fields.Monetary(
        string="Late Interest", compute="_compute_collection_charges"
    )
    collection_correction_amount = fields.Monetary(
        string="Monetary Correction", compute="_compute_collection_charges"
    )
    collection_amount_updated = fields.Monetary(
        string="Updated Amount Due",
        compute="_compute_collection_charges",
        help="The amount due plus the late fine, interest and monetary "
        "correction. It is informational and never posted.",
    )

    collection_amount_due = fields.Monetary(
        string="Amount Due After Credits",
        compute="_compute_collection_amount_due",
        help="What the invoice still owes, less the customer's payments and "
        "credit notes not reconciled yet: the amount that reminders quote.",
    )

    # === Compute methods === #

    @api.depends("amount_residual")
    def _compute_collection_amount_due(self):
        credits = self.env["collection.ruler.hold"]._get_outstanding_credits(
            self.filtered(lambda m: m.state == "posted" and m.currency_id)
        )
        for move in self:
            move.collection_amount_due = max(
                move.amount_residual - credits.get(move.id, 0.0), 0.0
            )

    @api.depends(
        "amount_residual",
        "invoice_date_due",
        "line_ids.date_maturity",
        "collection_ruler_id",
    )
    @api.depends_context("collection_date")
    def _compute_collection_charges(self):
        for move in self:
            if not move.currency_id:
                # An invoice form whose currency was just cleared.
                charges = dict.fromkeys(
                    ("days_late", "fine", "interest", "correction", "total"), 0
                )
            else:
                charges = move._collection_get_charges()
            move.collection_days_late = charges["days_late"]
            move.collection_fine_amount = charges["fine"]
            move.collection_interest_amount = charges["interest"]
            move.collection_correction_amount = charges["correction"]
            move.collection_amount_updated = charges["total"]

    @api.depends("partner_id", "company_id", "move_type")
    def _compute_collection_ruler_id(self):
        for move in self:
            move.collection_ruler_id = move._collection_get_inherited_ruler()

    @api.depends("collection_event_ids.state", "collection_event_ids.scheduled_date")
    def _compute_collection_next_date(self):
        for move in self:
            dates = [
                event.scheduled_date
                for event in move.collection_event_ids
                if event.state == "scheduled"
            ]
            move.collection_next_date = min(dates) if dates else False

    @api.depends("collection_next_date")
    @api.depends_context("collection_date")
    def _compute_collection_next_step(self):
        for move in self:
            events = move.collection_event_ids.filtered(
                lambda e: e.state == "scheduled"
            ).sorted(lambda e: (e.scheduled_date, e.step_sequence, e.id))
            if not events:
                move.collection_next_step = False
                continue
            event = events[0]
            if event.scheduled_date <= move._collection_get_today():
                move.collection_next_step = self.env._(
                    "%(step)s, at the next run", step=event.step_id.name
                )
            else:
                move.collection_next_step = self.env._(
                    "%(step)s, on %(date)s",
                    step=event.step_id.name,
                    date=format_date(self.env, event.scheduled_date),
                )

    # === Constraints === #

    @api.constrains("collection_ruler_id", "partner_id")
    def _check_collection_fine_cap(self):
        for move in self:
            ruler = move.collection_ruler_id
            # The company's default ruler serves every customer: its fine is
            # capped for individuals when computed. A ruler chosen for the
            # invoice or its customer is checked here and on the customer.
            if (
                ruler
                and ruler.fine_percent > INDIVIDUAL_FINE_CAP
                and ruler != move.company_id.collection_ruler_id
                and move.commercial_partner_id._collection_is_individual()
            ):
                raise ValidationError(
                    ruler._get_fine_cap_message(move.commercial_partner_id)
                )

    # === CRUD === #

    def _auto_init(self):
        # Made here, the columns are not computed for every invoice of the
        # database at install: none has an event yet, and the first scheduled
        # run gives the open ones their ruler, in batches (the backfill).
        for column, column_type in (
            ("collection_ruler_id", "int4"),
            ("collection_next_date", "date"),
        ):
            if not column_exists(self.env.cr, self._table, column):
                create_column(self.env.cr, self._table, column, column_type)
        return super()._auto_init()

    @api.model_create_multi
    def create(self, vals_list):
        moves = super().create(vals_list)
        given = [
            move
            for move, vals in zip(moves, vals_list, strict=True)
            if "collection_ruler_id" in vals
        ]
        if given:
            self.browse([move.id for move in given])._collection_mark_chosen_rulers()
        return moves

    def write(self, vals):
        if (
            "collection_excluded" in vals
            and not self.env.su
            and not self.env.user.has_group("collection_ruler.group_collection_manager")
        ):
            raise AccessError(
                self.env._(
                    "Only Collection Managers can exclude an invoice from collection."
                )
            )
        rulers_before = {}
        if "collection_ruler_id" in vals:
            rulers_before = {
                m: m.collection_ruler_id for m in self if m.state == "posted"
            }
        res = super().write(vals)
        if "collection_ruler_id" in vals and "collection_ruler_chosen" not in vals:
            self._collection_mark_chosen_rulers()
        if COLLECTION_TRIGGER_FIELDS & set(vals):
            self._collection_sync_events()
        if rulers_before and not self.env.context.get("collection_send_current_step"):
            # A ruler applied to a posted invoice starts at its next step: the
            # steps already past are not sent (several letters at once...).
            self.env["collection.ruler.backfill"]._skip_past(
                self.filtered(
                    lambda m: m in rulers_before
                    and m.collection_ruler_id != rulers_before[m]
                )
            )
        return res

    def _collection_mark_chosen_rulers(self):
        """Tell apart the invoices given a ruler of their own from those that
        took their customer's or company's (as a form sends it back)."""
        chosen = self.filtered(
            lambda m: m.collection_ruler_id != m._collection_get_inherited_ruler()
        )
        for moves, value in ((chosen, True), (self - chosen, False)):
            moves = moves.filtered(lambda m, v=value: m.collection_ruler_chosen != v)
            if moves:
                moves.write({"collection_ruler_chosen": value})

    def _invoice_paid_hook(self):
        res = super()._invoice_paid_hook()
        # Cancels what is left of the ruler and, through the stop reason, asks
        # for the removal of any credit-bureau registration.
        self._collection_sync_events()
        return res

    # === Business methods === #

    def _collection_request_bureau_removal(self, reason):
        """Ask for the removal of the credit-bureau registrations of invoices
        that can no longer be collected: paid, reversed, cancelled, excluded...

        Runs with superuser rights: whoever registers the payment may not see
        registrations, yet the removal is due at once (STJ, Sumula 548).

        :param reason: why the debt no longer stands, logged on each one
        """
        registrations = (
            self.env["collection.bureau.registration"]
            .sudo()
            .search(
                [
                    ("move_id", "in", self.ids),
                    ("state", "in", ("to_register", "registered")),
                ]
            )
        )
        registrations._request_removal(reason)

    def _collection_get_inherited_ruler(self):
        """The ruler this invoice takes when none is chosen for it: its
        customer's, then its commercial partner's, then the first assignment
        rule's it meets (``collection.ruler.rule``), then its company's.

        :return: collection.ruler record, possibly empty
        """
        self.ensure_one()
        if self.move_type != "out_invoice":
            return self.env["collection.ruler"]
        partner = self.partner_id.with_company(self.company_id)
        return (
            partner.collection_ruler_id
            or partner.commercial_partner_id.collection_ruler_id
            or self.env["collection.ruler.rule"]._get_ruler(self)
            or self.company_id.collection_ruler_id
        )

    def _collection_get_today(self):
        """Today in the company's time zone, or the ``collection_date`` key."""
        self.ensure_one()
        date = self.env.context.get("collection_date")
        if date:
            return fields.Date.to_date(date)
        return self.company_id._collection_get_today()

    def _collection_get_charges(self, date=None):
        """The late fine, interest and correction of what is still due, at
        ``date``.

        The fine is charged once from the first day late; the interest pro rata
        per calendar day late, a month counting as 30 days: at the ruler's
        agreed rate, or at the legal rate of each month
        (collection_legal_rate.py). A ruler correcting by the IPCA adds each
        month's IPCA. Nothing is charged on or before the due date.

        :param date: the date of the computation (default: today)
        :return: dict with days_late, fine, interest, correction, total (the
            amount due plus the three), fine_percent, interest_percent (the
            agreed rate, 0 for the legal rate), interest_rule and
            correction_index
        """
        self.ensure_one()
        date = date or self._collection_get_today()
        residual = self.amount_residual
        ruler = self.collection_ruler_id
        days_late = 0
        due_date = self._collection_get_due_date()
        if due_date and date > due_date:
            days_late = (date - due_date).days
        fine_percent = interest_percent = interest = correction = 0.0
        interest_rule = ruler.interest_rule or "contract"
        correction_index = ruler.correction_index or "none"
        collectible = self.move_type == "out_invoice" and self.commercial_partner_id
        if collectible and ruler and days_late and residual > 0:
            LegalRate = self.env["collection.legal.rate"]
            fine_percent = ruler._get_fine_percent(self.commercial_partner_id)
            if interest_rule == "legal":
                interest, _missing = LegalRate._get_interest(residual, due_date, date)
            else:
                interest_percent = ruler.interest_percent
                interest = residual * interest_percent / 100 / 30 * days_late
            if correction_index == "ipca":
                correction, _missing = LegalRate._get_correction(
                    residual, due_date, date
                )
        currency = self.currency_id
        fine = currency.round(residual * fine_percent / 100)
        interest = currency.round(interest)
        correction = currency.round(correction)
        return {
            "days_late": days_late,
            "fine": fine,
            "interest": interest,
            "correction": correction,
            "total": currency.round(residual + fine + interest + correction),
            "fine_percent": fine_percent,
            "interest_percent": interest_percent,
            "interest_rule": interest_rule,
            "correction_index": correction_index,
        }

    @api.model
    def _collection_get_collectible_domain(self):
        """Domain of the customer invoices that can still be collected.

        What it cannot see (a zero amount due, a missing ruler) is left to
        ``_collection_get_stop_reason``.
        """
        return [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("collection_excluded", "=", False),
            ("collection_dispute_reason", "in", (False, "")),
        ]

    def _collection_get_due_date(self):
        """The date the collection schedule counts from.

        The latest due date of the receivable lines, which a user can move
        from the Journal Items tab of a posted invoice without Odoo updating
        ``invoice_date_due``; that field when there is no such line.

        :return: a date, or False
        """
        self.ensure_one()
        dates = [
            line.date_maturity
            for line in self.line_ids
            if line.display_type == "payment_term" and line.date_maturity
        ]
        return max(dates) if dates else self.invoice_date_due

    def _collection_get_stop_reason(self):
        """Say why this invoice must not be collected, if it must not.

        :return: a translated reason, or False when it can be collected
        """
        self.ensure_one()
        # Stored on the events and the chatter: in the company's language,
        # whoever's session (a customer paying on the portal) stopped it.
        env = self._collection_company_lang_env()
        if self.move_type != "out_invoice":
            return env._("Only customer invoices are collected.")
        if self.state != "posted":
            return env._("The invoice is not posted.")
        if self.payment_state in ("paid", "in_payment"):
            return env._("The invoice is paid.")
        if self.payment_state == "reversed":
            return env._("The invoice was reversed.")
        if self.payment_state == "blocked":
            return env._("The invoice's payment is blocked.")
        if self.collection_excluded:
            return env._("The invoice is excluded from collection.")
        if not self.collection_ruler_id:
            return env._("The invoice has no collection ruler.")
        if not self._collection_get_due_date():
            return env._("The invoice has no due date.")
        if self.currency_id.is_zero(self.amount_residual):
            return env._("Nothing is left to pay.")
        if (self.collection_dispute_reason or "").strip():
            return env._(
                "The customer disputes the invoice: %(reason)s",
                reason=one_line(self.collection_dispute_reason),
            )
        return False

    def _collection_company_lang_env(self):
        """The environment in the language of this invoice's company, for the
        reasons and notes collection stores (``res.company._collection_get_lang``).

        :return: an Environment
        """
        self.ensure_one()
        lang = self.company_id._collection_get_lang()
        return self.with_context(lang=lang).env

    def _collection_sync_events(self):
        """Bring the collection schedule of these invoices up to date
        (``collection.ruler.schedule``), company by company in its language:
        the reasons of cancelled steps and the chatter notes are stored, read
        by the company's staff, whoever's session (a customer paying on the
        portal, a webhook) changed the invoice."""
        Schedule = self.env["collection.ruler.schedule"]
        for company, moves in self.grouped("company_id").items():
            lang = company._collection_get_lang()
            Schedule.with_context(lang=lang)._sync(moves.with_context(lang=lang))

    # ----------------------------------------------------------------------
    # Disputes
    # ----------------------------------------------------------------------
    #
    # A dispute with a reason stops the invoice's collection: its pending steps,
    # the credit-bureau one included, are cancelled, and a registration already
    # made is asked for removal (``collection.channel.credit_bureau``). Clearing
    # the dispute brings the cancelled steps back. Both show in the chatter.

    collection_dispute_reason = fields.Text(
        string="Dispute",
        copy=False,
        tracking=True,
        help="Why the customer contests this invoice. While it is set, the "
        "invoice is not collected, its credit-bureau step waits, and a "
        "registration already made is asked for removal. Clear it once the "
        "dispute is settled: the ruler resumes.",
    )

    # ----------------------------------------------------------------------
    # Payment instructions
    # ----------------------------------------------------------------------

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

    # ----------------------------------------------------------------------
    # Creditor identification and itemised amounts
    # ----------------------------------------------------------------------
    #
    # Brazil's consumer code asks every collection document to show the creditor's
    # name, address and CPF/CNPJ (CDC art. 42-A), and some states (Rio de Janeiro,
    # Alagoas) ask for the amounts itemised. Mail, SMS and WhatsApp templates read
    # both from here:
    #
    # - ``collection_creditor``: the company's name, tax id and address, on one
    #   line;
    # - ``collection_charges_summary``: the principal, the IPCA correction when
    #   the ruler applies one, the late fine and the interest, with the interest
    #   rule that computed them, for the invoices the message lists (a digest's,
    #   all of them); ``collection_letter_charges_summary``, the same for what a
    #   letter claims.
    #
    # The line itself comes from the company (``res_company.py``). A message
    # cannot leave without its creditor: the collection email layout
    # prints it under every email, an email template without a layout gets that
    # layout, the SMS channel adds the line to a text that lacks the company's tax
    # id, and a WhatsApp step needs a template variable that carries it
    # (``collection_channel_whatsapp.py``). Letters print their own creditor block
    # (``reports/collection_letter_templates.xml``).

    collection_creditor = fields.Char(
        string="Creditor Identification",
        compute="_compute_collection_creditor",
        help="The company's name, tax id (CNPJ) and address, as every collection "
        "message shows them (consumer code, art. 42-A).",
    )
    collection_creditor_details = fields.Char(
        string="Creditor Tax ID and Address",
        compute="_compute_collection_creditor",
        help="The company's tax id (CNPJ) and address, for a message that "
        "already gives its name.",
    )
    collection_charges_summary = fields.Char(
        string="Itemised Amount Due",
        compute="_compute_collection_charges_summary",
        help="The principal, late fine and interest of the invoices a collection "
        "message lists, with the interest rule used.",
    )
    collection_letter_charges_summary = fields.Char(
        string="Itemised Amount in Letters",
        compute="_compute_collection_letter_charges_summary",
        help="The principal, late fine and interest that a collection letter "
        "about this invoice claims today, with the interest rule used.",
    )

    @api.depends("company_id")
    @api.depends_context("lang")
    def _compute_collection_creditor(self):
        for move in self:
            company = move.company_id
            details = company._collection_get_creditor_details() if company else []
            move.collection_creditor = ", ".join([company.name or "", *details])
            move.collection_creditor_details = ", ".join(details)

    @api.depends("amount_residual", "collection_ruler_id")
    @api.depends_context("lang", "collection_digest", "collection_date")
    def _compute_collection_charges_summary(self):
        for move in self:
            move.collection_charges_summary = move.currency_id and (
                move._collection_get_charges_summary(
                    move.collection_digest_move_ids or move,
                    move._collection_get_today(),
                )
            )

    @api.depends("amount_residual", "collection_ruler_id")
    @api.depends_context("lang", "collection_date")
    def _compute_collection_letter_charges_summary(self):
        # What the letter claims: all the debtor's overdue invoices.
        Letter = self.env["report.collection_ruler.letter"]
        for move in self:
            rows = []
            if move.state == "posted" and move.move_type == "out_invoice":
                today = move._collection_get_today()
                rows = Letter._get_letter_rows(move, today)[0]
            move.collection_letter_charges_summary = rows and (
                move._collection_get_charges_summary(
                    move.browse([row["invoice"].id for row in rows]), today
                )
            )

    def _collection_get_charges_summary(self, moves, date):
        """The itemised amount of ``moves`` at ``date``, in the context's
        language and this invoice's currency: ``Principal R$ 1.000,00 + IPCA
        correction R$ 4,00 + late fine R$ 20,00 + interest R$ 10,00 (1,00% a
        month, as agreed) = R$ 1.034,00``; a charge of zero is left out.

        The principal is what reminders quote (``collection_amount_due``);
        letters and the bureau wait for unreconciled credits anyway.
        """
        self.ensure_one()
        env, currency = self.env, self.currency_id
        sums = dict.fromkeys(("correction", "fine", "interest"), 0.0)
        principal, rules = 0.0, {}
        for move in moves:
            charges = move._collection_get_charges(date)
            # What reminders quote: the amount left after the customer's
            # credits not reconciled yet, charged in proportion.
            due = move.collection_amount_due
            share = due / move.amount_residual if move.amount_residual else 0.0
            principal += due
            for key in sums:
                sums[key] += currency.round(charges[key] * share)
            if charges["interest"]:
                rules[charges["interest_rule"], charges["interest_percent"]] = True

        def amount(value):
            return format_amount(env, value, currency)

        if all(currency.is_zero(value) for value in sums.values()):
            return env._(
                "Principal %(principal)s, with no late fine or interest",
                principal=amount(principal),
            )
        rule = "; ".join(
            env._("legal rate, Civil Code art. 406")
            if kind == "legal"
            else env._(
                "%(rate)s%% a month, as agreed",
                rate=formatLang(env, percent, digits=2),
            )
            for kind, percent in rules
        )
        items = [env._("Principal %(amount)s", amount=amount(principal))]
        if not currency.is_zero(sums["correction"]):
            items.append(
                env._("IPCA correction %(amount)s", amount=amount(sums["correction"]))
            )
        if not currency.is_zero(sums["fine"]):
            items.append(env._("late fine %(amount)s", amount=amount(sums["fine"])))
        if not currency.is_zero(sums["interest"]):
            items.append(
                env._(
                    "interest %(amount)s (%(rule)s)",
                    amount=amount(sums["interest"]),
                    rule=rule,
                )
            )
        return f"{' + '.join(items)} = {amount(principal + sum(sums.values()))}"

    # ----------------------------------------------------------------------
    # Digest: the invoices one message lists
    # ----------------------------------------------------------------------

    collection_digest_move_ids = fields.Many2many(
        comodel_name="account.move",
        string="Invoices in the Message",
        compute="_compute_collection_digest_move_ids",
        help="The invoices one collection message lists: this invoice alone, or "
        "all of the customer's invoices due that day on the same channel.",
    )
    collection_digest_names = fields.Char(compute="_compute_collection_digest_move_ids")
    collection_digest_amount_due = fields.Monetary(compute="_compute_collection_digest")
    collection_digest_amount_updated = fields.Monetary(
        compute="_compute_collection_digest"
    )
    collection_digest_pay_url = fields.Char(compute="_compute_collection_digest")
    collection_digest_pix_code = fields.Char(compute="_compute_collection_digest")

    @api.depends("name")
    @api.depends_context("collection_digest")
    def _compute_collection_digest_move_ids(self):
        """Which invoices the message lists: cheap, for the email layout."""
        digests = dict(self.env.context.get("collection_digest") or ())
        # Every invoice of the batch's messages read together, not message by
        # message.
        prefetch = tuple({*self._ids, *(i for ids in digests.values() for i in ids)})
        for move in self:
            moves = self.browse(digests.get(move.id) or move.ids).with_prefetch(
                prefetch
            )
            move.collection_digest_move_ids = moves
            move.collection_digest_names = ", ".join(moves.mapped("name"))

    @api.depends("amount_residual", "access_token")
    @api.depends_context("collection_digest", "collection_date")
    def _compute_collection_digest(self):
        for move in self:
            posted = move.state == "posted" and move.move_type == "out_invoice"
            today = move._collection_get_today()
            moves = move.collection_digest_move_ids
            move.collection_digest_amount_due = sum(
                moves.mapped("collection_amount_due")
            )
            updated = posted and sum(
                m._collection_get_charges(today)["total"] for m in moves
            )
            move.collection_digest_amount_updated = updated
            if len(moves) > 1:
                move.collection_digest_pay_url = moves._collection_get_pay_all_url()
                pix = move._collection_get_pix(updated, with_qr_code=False)
                move.collection_digest_pix_code = pix.get("payload", False)
            else:
                move.collection_digest_pay_url = move.collection_pay_url
                move.collection_digest_pix_code = move.collection_pix_code

    def _collection_get_pay_all_url(self):
        """The signed link of the page that pays these invoices together:
        each one's pay link, and one Pix for the total (``controllers/pay.py``)."""
        ids = "-".join(str(move_id) for move_id in sorted(self.ids))
        token = hmac(self.env(su=True), PAY_ALL_SCOPE, ids)
        return f"{self[:1].get_base_url()}/collection/pay/{ids}?token={token}"

    @api.model
    def _collection_check_pay_all_token(self, ids, token):
        """Whether ``token`` signs the pay-all link of invoices ``ids``."""
        expected = hmac(self.env(su=True), PAY_ALL_SCOPE, ids)
        return bool(token) and consteq(expected, token)

    # ----------------------------------------------------------------------
    # Evidence
    # ----------------------------------------------------------------------

    collection_evidence_ids = fields.One2many(
        comodel_name="collection.evidence",
        inverse_name="move_id",
        string="Collection Evidence",
        readonly=True,
    )

    # ----------------------------------------------------------------------
    # Promises to pay
    # ----------------------------------------------------------------------

    collection_promise_ids = fields.One2many(
        comodel_name="collection.promise",
        inverse_name="move_id",
        string="Promises to Pay",
    )

    def _collection_portal_promise_dates(self):
        """The first and last dates the customer may promise to pay by from
        the portal, or None when they may not (no ruler allowing it, the
        invoice not collected, a promise already open).

        :return: (date, date) or None
        """
        self.ensure_one()
        days = self.collection_ruler_id.promise_max_days
        if (
            days <= 0
            or self._collection_get_stop_reason()
            or self.collection_promise_ids.filtered(lambda p: p.state == "open")
        ):
            return None
        today = self.company_id._collection_get_today()
        return today, today + timedelta(days=days)

    def _collection_portal_promise(self, date):
        """Record the customer's promise, made on the portal, to pay what is
        due by ``date``. :return: the promise, or None when refused"""
        self.ensure_one()
        dates = self._collection_portal_promise_dates()
        date = fields.Date.to_date(date) if date else None
        if not dates or not date or not dates[0] <= date <= dates[1]:
            return None
        return (
            self.env["collection.promise"]
            .sudo()
            .create(
                {
                    "move_id": self.id,
                    "date": date,
                    "amount": self.amount_residual,
                    "source": "portal",
                    "user_id": False,
                }
            )
        )

    # ----------------------------------------------------------------------
    # Pauses
    # ----------------------------------------------------------------------

    collection_paused_until = fields.Date(
        copy=False,
        tracking=True,
        help="No collection step of this invoice runs until this date "
        "included; the ruler resumes on its own the day after.",
    )

    # ----------------------------------------------------------------------
    # Rules: the ruler of a new invoice
    # ----------------------------------------------------------------------

    def _post(self, soft=True):
        # The amount is known now: the rules see the invoice as posted.
        for move in self.filtered(
            lambda m: m.move_type == "out_invoice" and not m.collection_ruler_chosen
        ):
            ruler = move._collection_get_inherited_ruler()
            if ruler != move.collection_ruler_id:
                move.write(
                    {"collection_ruler_id": ruler.id, "collection_ruler_chosen": False}
                )
        return super()._post(soft)
