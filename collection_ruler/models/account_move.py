from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools.misc import format_date
from odoo.tools.sql import column_exists, create_column

from .collection_ruler import INDIVIDUAL_FINE_CAP

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
