import csv
import io
import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

# Once the debt is paid, the creditor has five business days to have the
# registration removed (STJ, Sumula 548).
REMOVAL_BUSINESS_DAYS = 5

CSV_COLUMNS = [
    "registration",
    "bureau",
    "document_type",
    "document",
    "debtor_name",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "invoice",
    "due_date",
    "amount_original",
    "amount_due",
    "currency",
    "debit_notice_date",
    "creditor_name",
    "creditor_document",
]


def add_business_days(date, days):
    """``date`` plus ``days`` days, Saturdays and Sundays not counted."""
    while days > 0:
        date += timedelta(days=1)
        if date.weekday() < 5:
            days -= 1
    return date


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
    debtor_name = fields.Char(string="Debtor Name", required=True)
    debtor_vat = fields.Char(string="CPF/CNPJ", required=True)
    debtor_is_individual = fields.Boolean(string="Individual")
    debtor_street = fields.Char(string="Debtor Street")
    debtor_city = fields.Char(string="Debtor City")
    debtor_state = fields.Char(string="Debtor State")
    debtor_zip = fields.Char(string="Debtor ZIP")
    debtor_country = fields.Char(string="Debtor Country")

    # === The debt === #
    currency_id = fields.Many2one(comodel_name="res.currency", required=True)
    amount_original = fields.Monetary(string="Original Amount")
    amount_due = fields.Monetary(string="Amount Due")
    due_date = fields.Date(required=True)

    # === Dates === #
    debit_notice_date = fields.Date(
        string="Debit Notice Delivered On",
        help="The date the debtor received the debit notice.",
    )
    registered_date = fields.Date(string="Registered On", tracking=True)
    removal_requested_date = fields.Date(string="Removal Requested On", tracking=True)
    removal_deadline = fields.Date(
        string="Removal Deadline",
        help="Five business days after the payment (STJ, Sumula 548).",
    )
    removed_date = fields.Date(string="Removed On", tracking=True)
    note = fields.Text()

    # === CRUD === #

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
    def _prepare_values(self, event, debit_notice_date):
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
        self._request_removal(
            self.env._("Requested by %(user)s.", user=self.env.user.name)
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
        """Download the selected registrations as a CSV file for the bureau.

        :return: an action downloading the file
        """
        if not self:
            raise UserError(self.env._("Select the registrations to export."))
        attachment = self.env["ir.attachment"].create(
            {
                "name": "credit_bureau_registrations.csv",
                "raw": self._get_csv().encode("utf-8"),
                "mimetype": "text/csv",
                "res_model": self._name,
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    # === Business methods === #

    def _get_csv(self):
        """The registrations as CSV: one header line, then one line each.

        Dates are ISO 8601, amounts use a dot and two decimals, documents keep
        only their digits.

        :return: str
        """
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for registration in self.sorted("id"):
            company = registration.company_id
            writer.writerow(
                [
                    registration.name,
                    registration.bureau,
                    "CPF" if registration.debtor_is_individual else "CNPJ",
                    re.sub(r"\D", "", registration.debtor_vat or ""),
                    registration.debtor_name,
                    registration.debtor_street or "",
                    registration.debtor_city or "",
                    registration.debtor_state or "",
                    re.sub(r"\D", "", registration.debtor_zip or ""),
                    registration.debtor_country or "",
                    registration.move_id.name,
                    fields.Date.to_string(registration.due_date),
                    f"{registration.amount_original:.2f}",
                    f"{registration.amount_due:.2f}",
                    registration.currency_id.name,
                    fields.Date.to_string(registration.debit_notice_date) or "",
                    company.name,
                    re.sub(r"\D", "", company.vat or ""),
                ]
            )
        return buffer.getvalue()

    def _request_removal(self, reason):
        """Move to removal requested and plan the confirmation of the removal.

        :param reason: why the removal is requested, logged on the record
        """
        today = fields.Date.context_today(self)
        deadline = add_business_days(today, REMOVAL_BUSINESS_DAYS)
        for registration in self:
            registration.write(
                {
                    "state": "removal_requested",
                    "removal_requested_date": today,
                    "removal_deadline": deadline,
                }
            )
            registration.message_post(
                body=self.env._(
                    "Removal requested: %(reason)s The bureau must remove the "
                    "registration by %(deadline)s.",
                    reason=reason,
                    deadline=fields.Date.to_string(deadline),
                ),
                subtype_xmlid="mail.mt_note",
            )
            registration.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=deadline,
                summary=self.env._("Confirm the credit-bureau removal"),
                note=self.env._(
                    "Ask %(bureau)s to remove the registration of %(debtor)s and "
                    "confirm it by %(deadline)s (STJ, Sumula 548).",
                    bureau=dict(
                        self._fields["bureau"]._description_selection(self.env)
                    ).get(registration.bureau),
                    debtor=registration.debtor_name,
                    deadline=fields.Date.to_string(deadline),
                ),
                user_id=registration._get_responsible().id,
            )

    def _get_responsible(self):
        """Who confirms the removal: the step's, then the invoice's user, else
        a collection manager of the company."""
        self.ensure_one()
        user = self.event_id.step_id.activity_user_id or self.move_id.invoice_user_id
        if (
            user
            and not user.share
            and user.has_group("collection_ruler.group_collection_manager")
        ):
            return user
        managers = self.env.ref("collection_ruler.group_collection_manager").users
        return (
            managers.filtered(
                lambda u: (
                    not u.share
                    and u.active
                    and self.company_id in u.company_ids
                    and u._is_internal()
                    and u.id != self.env.ref("base.user_root").id
                )
            )[:1]
            or self.env.user
        )

    @api.model
    def _cron_request_paid_removals(self):
        """Catch registrations of invoices paid without the paid hook firing."""
        registrations = self.search(
            [
                ("state", "in", ("to_register", "registered")),
                ("move_id.payment_state", "in", ("paid", "in_payment")),
            ]
        )
        registrations._request_removal(self.env._("The invoice was paid."))
        return registrations
