import csv
import io
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from .res_partner import only_digits

# CSV exports and merged letters are deleted after this many days.
EXPORT_RETENTION_DAYS = 1

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


class CollectionBureauExport(models.AbstractModel):
    """The file a credit bureau is given, and how long it is kept."""

    _name = "collection.bureau.export"
    _description = "Credit Bureau Export"

    @api.model
    def _export(self, registrations):
        """The CSV file of ``registrations``, to download, marked exported.

        :return: an action downloading the file
        """
        if not registrations:
            raise UserError(self.env._("Select the registrations to export."))
        # Registering a debtor who has paid is the classic ground for a
        # moral-damages claim: money on account is reconciled first.
        credits = self.env["collection.ruler.hold"]._get_outstanding_credits(
            registrations.move_id
        )
        held = registrations.filtered(lambda r: r.move_id.id in credits)
        if held:
            raise UserError(
                self.env._(
                    "Reconcile first: %(debtors)s have payments or credit notes "
                    "not reconciled yet, and cannot be registered with a credit "
                    "bureau meanwhile.",
                    debtors=", ".join(sorted(set(held.mapped("debtor_name")))),
                )
            )
        attachment = self.env["ir.attachment"].create(
            {
                "name": "credit_bureau_registrations.csv",
                "raw": self._get_csv(registrations).encode("utf-8"),
                "mimetype": "text/csv",
                "res_model": registrations._name,
            }
        )
        registrations.write({"exported_date": fields.Date.context_today(self)})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _get_csv(self, registrations):
        """``registrations`` as CSV: one header line, then one line each.

        Dates are ISO 8601, amounts use a dot and two decimals, documents keep
        only their digits. A text that a spreadsheet would take for a formula
        is quoted.

        :return: str
        """

        def cell(value):
            value = value or ""
            return f"'{value}" if value[:1] in ("=", "+", "-", "@") else value

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for registration in registrations.sorted("id"):
            company = registration.company_id
            document = only_digits(registration.debtor_vat)
            writer.writerow(
                [
                    registration.name,
                    registration.bureau,
                    "CPF" if len(document) == 11 else "CNPJ",
                    document,
                    cell(registration.debtor_name),
                    cell(registration.debtor_street),
                    cell(registration.debtor_city),
                    cell(registration.debtor_state),
                    only_digits(registration.debtor_zip),
                    cell(registration.debtor_country),
                    cell(registration.move_id.name),
                    fields.Date.to_string(registration.due_date),
                    f"{registration.amount_original:.2f}",
                    f"{registration.amount_due:.2f}",
                    registration.currency_id.name,
                    fields.Date.to_string(registration.debit_notice_date) or "",
                    cell(company.name),
                    only_digits(company.vat),
                ]
            )
        return buffer.getvalue()

    @api.autovacuum
    def _gc_exported_files(self):
        """Delete CSV exports and merged letters a day after they were made.

        They hold personal data and belong to no record: once downloaded,
        nothing needs them.
        """
        limit = fields.Datetime.now() - timedelta(days=EXPORT_RETENTION_DAYS)
        files = (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    (
                        "res_model",
                        "in",
                        ("collection.bureau.registration", "collection.ruler.event"),
                    ),
                    ("res_id", "in", (False, 0)),
                    ("create_date", "<", limit),
                ]
            )
        )
        files.unlink()
        return files
