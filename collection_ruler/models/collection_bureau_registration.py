import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.osv import expression
from odoo.tools import SQL
from odoo.tools.misc import format_date

_logger = logging.getLogger(__name__)

# Once the debt is paid, the creditor has five business days to have the
# registration removed (STJ, Sumula 548), counted from the first business day
# after the money is available (REsp 1.424.792/BA).
REMOVAL_BUSINESS_DAYS = 5


class CollectionBureauRegistration(models.Model):
    """A debtor registered, or to register, with a credit bureau for an invoice."""

    _name = "collection.bureau.registration"
    _description = "Credit Bureau Registration"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    state = fields.Selection(
        selection=[
            ("to_register", "To Register"),
            ("registered", "Registered"),
            ("removal_requested", "Removal Requested"),
            ("removed", "Removed"),
            ("cancelled", "Cancelled"),
        ],
        default="to_register",
        required=True,
        tracking=True,
        index=True,
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        index=True,
        default=lambda self: self.env.company,
    )
    bureau = fields.Selection(
        selection=lambda self: (
            self.env["collection.ruler.step"]
            ._fields["bureau"]
            ._description_selection(self.env)
        ),
        string="Credit Bureau",
        required=True,
    )
    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        ondelete="restrict",
        index=True,
        check_company=True,
    )
    event_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Collection Event",
        ondelete="set null",
    )
    partner_id = fields.Many2one(
        comodel_name="res.partner", string="Debtor", required=True, index=True
    )

    # === The debtor as registered: a snapshot, kept if the partner changes === #
    debtor_name = fields.Char(required=True)
    debtor_vat = fields.Char(string="CPF/CNPJ", required=True)
    debtor_is_individual = fields.Boolean(string="Individual")
    debtor_street = fields.Char()
    debtor_city = fields.Char()
    debtor_state = fields.Char()
    debtor_zip = fields.Char(string="Debtor ZIP")
    debtor_country = fields.Char()

    # === The debt === #
    currency_id = fields.Many2one(comodel_name="res.currency", required=True)
    amount_original = fields.Monetary(string="Original Amount")
    amount_due = fields.Monetary()
    due_date = fields.Date(required=True)

    # === Dates === #
    debit_notice_date = fields.Date(
        string="Debit Notice Delivered On",
        help="The date the debtor received the debit notice.",
    )
    registered_date = fields.Date(string="Registered On", tracking=True)
    removal_requested_date = fields.Date(string="Removal Requested On", tracking=True)
    payment_available_date = fields.Date(
        string="Payment Available On",
        readonly=True,
        help="When the payment reached the creditor: the date of the bank "
        "statement line that settled the invoice, else of the payment.",
    )
    removal_deadline = fields.Date(
        help="Five business days from the first business day after the payment "
        "was available (STJ, Sumula 548; REsp 1.424.792/BA). Weekends and the "
        "company's holidays do not count.",
    )
    removal_late = fields.Boolean(
        compute="_compute_removal_late",
        search="_search_removal_late",
        help="The removal was requested and its deadline has passed.",
    )
    removed_date = fields.Date(string="Removed On", tracking=True)
    exported_date = fields.Date(
        string="Exported On",
        readonly=True,
        help="The last CSV export that included it. A registration never "
        "exported is cancelled, not removed, when the debt ends.",
    )
    note = fields.Text()

    def init(self):
        # One active registration per invoice and bureau.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (move_id, bureau) "
                "WHERE state IN ('to_register', 'registered')",
                SQL.identifier("collection_bureau_registration_active_unique"),
                SQL.identifier(self._table),
            )
        )

    @api.depends("state", "removal_deadline")
    def _compute_removal_late(self):
        today = fields.Date.context_today(self)
        for registration in self:
            registration.removal_late = (
                registration.state == "removal_requested"
                and bool(registration.removal_deadline)
                and registration.removal_deadline < today
            )

    def _search_removal_late(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Unsupported search on late removals."))
        domain = [
            ("state", "=", "removal_requested"),
            ("removal_deadline", "<", fields.Date.context_today(self)),
        ]
        if (operator == "=") != value:
            return ["!", *expression.normalize_domain(domain)]
        return domain

    # === CRUD === #

    @api.ondelete(at_uninstall=False)
    def _unlink_except_at_bureau(self):
        if self.filtered(lambda r: r.state in ("registered", "removal_requested")):
            raise UserError(
                self.env._(
                    "A registration the bureau holds keeps its history until its "
                    "removal is confirmed."
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = (
                    self.env["ir.sequence"]
                    .with_company(vals.get("company_id"))
                    .next_by_code("collection.bureau.registration")
                    or "/"
                )
        return super().create(vals_list)

    @api.model
    def _prepare_registration_values(self, event, debit_notice_date):
        """Values of the registration a credit-bureau event creates.

        :param event: the collection.ruler.event being run
        :param debit_notice_date: the date the debit notice was delivered
        :return: dict of values for ``create``
        """
        move = event.move_id
        debtor = move.commercial_partner_id
        return {
            "company_id": move.company_id.id,
            "bureau": event.step_id.bureau,
            "move_id": move.id,
            "event_id": event.id,
            "partner_id": debtor.id,
            "debtor_name": debtor.name,
            "debtor_vat": debtor.vat,
            "debtor_is_individual": debtor._collection_is_individual(),
            "debtor_street": ", ".join(filter(None, [debtor.street, debtor.street2])),
            "debtor_city": debtor.city,
            "debtor_state": debtor.state_id.code,
            "debtor_zip": debtor.zip,
            "debtor_country": debtor.country_id.code,
            "currency_id": move.currency_id.id,
            "amount_original": move.amount_total,
            "amount_due": move.amount_residual,
            "due_date": move.invoice_date_due,
            "debit_notice_date": debit_notice_date,
        }

    # === Actions === #

    def action_mark_registered(self):
        """Record that the bureau confirmed the registration."""
        if self.filtered(lambda r: r.state != "to_register"):
            raise UserError(
                self.env._("Only registrations to register can be marked registered.")
            )
        self.write(
            {"state": "registered", "registered_date": fields.Date.context_today(self)}
        )

    def action_request_removal(self):
        """Ask the bureau to remove the registration, by hand."""
        if self.filtered(lambda r: r.state not in ("to_register", "registered")):
            raise UserError(
                self.env._("Only active registrations can be asked for removal.")
            )
        for company, registrations in self.grouped("company_id").items():
            env = self.with_context(lang=company._collection_get_lang()).env
            registrations._request_removal(
                env._("Requested by %(user)s.", user=self.env.user.name)
            )

    def action_mark_removed(self):
        """Record that the bureau confirmed the removal."""
        if self.filtered(lambda r: r.state != "removal_requested"):
            raise UserError(
                self.env._(
                    "Only registrations whose removal was requested can be "
                    "marked removed."
                )
            )
        self.write(
            {"state": "removed", "removed_date": fields.Date.context_today(self)}
        )
        self.activity_feedback(
            ["mail.mail_activity_data_todo"],
            feedback=self.env._("The bureau confirmed the removal."),
        )

    def action_export_csv(self):
        """Download the selected registrations as a CSV file for the bureau."""
        return self.env["collection.bureau.export"]._export(self)

    # === Business methods === #

    def _request_removal(self, reason):
        """The debt no longer stands: take the debtor off the bureau's list.

        A registration never exported is simply cancelled. Any other moves to
        removal requested, with a to-do for a collection manager to confirm
        the removal within five business days (STJ, Sumula 548).

        :param reason: why the removal is requested, logged on the record
        """
        # The notes and the to-do are the company's records: in its language,
        # whoever's session (a customer paying on the portal) asked.
        for company, registrations in self.grouped("company_id").items():
            lang = company._collection_get_lang()
            registrations.with_context(lang=lang)._request_removal_in_company(reason)

    def _request_removal_in_company(self, reason):
        """``_request_removal`` for registrations of one company, in the
        environment's language."""
        today = fields.Date.context_today(self)
        never_sent = self.filtered(
            lambda r: r.state == "to_register" and not r.exported_date
        )
        if never_sent:
            never_sent.write({"state": "cancelled"})
            for registration in never_sent:
                registration.message_post(
                    body=self.env._(
                        "Cancelled before it was sent to the bureau: %(reason)s",
                        reason=reason,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
        to_remove = self - never_sent
        if not to_remove:
            return
        bureaus = dict(self._fields["bureau"]._description_selection(self.env))
        for registration in to_remove:
            company = registration.company_id
            available = self._get_payment_available_date(registration.move_id)
            deadline = company._collection_add_business_days(
                min(available or today, today), REMOVAL_BUSINESS_DAYS
            )
            registration.write(
                {
                    "state": "removal_requested",
                    "removal_requested_date": today,
                    "payment_available_date": available,
                    "removal_deadline": deadline,
                }
            )
            registration.message_post(
                body=self.env._(
                    "Removal requested: %(reason)s The bureau must remove the "
                    "registration by %(deadline)s.",
                    reason=reason,
                    deadline=format_date(self.env, deadline),
                ),
                subtype_xmlid="mail.mt_note",
            )
            user = registration._get_responsible()
            if not user:
                continue
            # Due the business day before the deadline, to act in time.
            warn = max(today, company._collection_add_business_days(deadline, -1))
            registration.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=warn,
                summary=self.env._("Confirm the credit-bureau removal"),
                note=self.env._(
                    "Ask %(bureau)s to remove the registration of %(debtor)s and "
                    "confirm it by %(deadline)s (STJ, Sumula 548).",
                    bureau=bureaus.get(registration.bureau),
                    debtor=registration.debtor_name,
                    deadline=format_date(self.env, deadline),
                ),
                user_id=user.id,
            )

    @api.model
    def _get_payment_available_date(self, move):
        """When the money that paid ``move`` became available to the creditor.

        The date of the bank statement line that settled the invoice, directly
        or through the payment it matched; else the payment's date. The
        latest, when several paid it.

        :return: a date, or False when no payment settled it (a credit note)
        """
        dates = []
        for counterpart in move._get_reconciled_amls().move_id:
            if counterpart.statement_line_id:
                dates.append(counterpart.statement_line_id.date)
            elif counterpart.origin_payment_id:
                payment = counterpart.origin_payment_id
                lines = payment.reconciled_statement_line_ids
                dates.append(max(lines.mapped("date")) if lines else payment.date)
        return max(dates) if dates else False

    def _get_responsible(self):
        """Who confirms the removal: a collection manager, who can open it.

        The step's responsible or the invoice's salesperson when they are
        managers, else the company's first manager.

        :return: res.users record, empty when the company has no manager
        """
        self.ensure_one()
        managers = self.env.ref("collection_ruler.group_collection_manager").users
        candidates = (
            self.event_id.step_id.activity_user_id
            | self.move_id.invoice_user_id
            | managers.sorted("id")
        )
        root = self.env.ref("base.user_root")
        return candidates.filtered(
            lambda u: (
                u in managers
                and u != root
                and u.active
                and not u.share
                and self.company_id in u.company_ids
            )
        )[:1]

    @api.model
    def _cron_request_removals(self):
        """Catch active registrations whose debt ended without the hooks firing
        (a credit note, for example), one savepoint each.

        :return: the registrations asked for removal
        """
        done = self.browse()
        for registration in self.search(
            [("state", "in", ("to_register", "registered"))]
        ):
            reason = registration.move_id._collection_get_stop_reason()
            if not reason:
                continue
            try:
                with self.env.cr.savepoint():
                    registration._request_removal(reason)
                done |= registration
            except Exception:  # noqa: BLE001 - one record never stops the cron
                _logger.exception(
                    "Could not request the removal of registration %s",
                    registration.id,
                )
        return done

    # ----------------------------------------------------------------------
    # Proof of notice
    # ----------------------------------------------------------------------

    proof_attachment_id = fields.Many2one(
        comodel_name="ir.attachment",
        string="Proof of Notice",
        readonly=True,
        ondelete="restrict",
        help="The invoice's collection contacts and their evidence, as they "
        "stood when the registration was created.",
    )

    def _attach_proof_of_notice(self):
        """Print the invoice's proof of notice and attach it to each registration."""
        report = self.env.ref("collection_ruler.action_report_proof_of_notice")
        for registration in self:
            move = registration.move_id
            content, _report_type = (
                self.env["ir.actions.report"]
                .sudo()
                .with_company(registration.company_id)
                ._render_qweb_pdf(report, move.ids)
            )
            name = self.env._(
                "Proof of notice - %(invoice)s.pdf",
                invoice=(move.name or "").replace("/", "-"),
            )
            registration.proof_attachment_id = self.env["ir.attachment"].create(
                {
                    "name": name,
                    "raw": content,
                    "res_model": registration._name,
                    "res_id": registration.id,
                    "mimetype": "application/pdf",
                }
            )
