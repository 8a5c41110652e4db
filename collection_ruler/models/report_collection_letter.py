from datetime import timedelta

from odoo import api, models
from odoo.exceptions import UserError

# The heavy extrajudicial notice announces a lawsuit this many days after its
# deadline, after the protest and the credit-bureau registration.
LAWSUIT_DELAY_DAYS = 30


class ReportCollectionLetter(models.AbstractModel):
    """Values of a collection letter, computed before the QWeb rendering.

    Computing them here rather than in the template lets a letter that cannot
    be printed (nothing overdue, for example) stop with a plain error message.
    The context may carry ``collection_date`` (the letter's date) and
    ``collection_deadline_days`` (the days given to pay, default 10).
    """

    _name = "report.collection_ruler.letter"
    _description = "Collection Letter Report"
    _letter_type = None

    @api.model
    def _get_report_values(self, docids, data=None):
        moves = self.env["account.move"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "account.move",
            "docs": moves,
            "letters": {
                move.id: self._get_letter_values(move, self._letter_type)
                for move in moves
            },
        }

    @api.model
    def _get_letter_deadline(self, move, letter_type):
        """The date a letter of ``move`` gives the debtor to pay by.

        A debit notice never gives less than the credit-bureau notice days,
        nor announces a registration before the state's days after default.
        A posted letter (context ``collection_posted``) gives its days from
        when the post delivers it, the company's posting days later. The
        deadline moves to the next business day of the company.

        :param move: the account.move the letter is about
        :param letter_type: a key of the step's ``letter_type`` selection
        :return: a date
        """
        days = self.env.context.get("collection_deadline_days") or 10
        today = move._collection_get_today()
        company = move.company_id
        if letter_type == "debit_notice":
            debtor = move.commercial_partner_id
            days = max(days, debtor._collection_get_bureau_notice_days(company))
        deadline = today + timedelta(days=days)
        if letter_type == "debit_notice":
            after_due = debtor._collection_get_bureau_notice_period().days_after_due
            if after_due:
                # The registration may be requested the day after the deadline.
                earliest = move._collection_get_due_date() + timedelta(days=after_due)
                deadline = max(deadline, earliest - timedelta(days=1))
        if self.env.context.get("collection_posted"):
            # A posted letter leaves its reader the days the post takes.
            arrival = company._collection_add_business_days(
                today, company.collection_letter_post_days
            )
            deadline = max(deadline, arrival + timedelta(days=days))
        # Never a Saturday, a Sunday or a holiday of the company.
        return company._collection_next_business_day(deadline)

    @api.model
    def _get_overdue_invoices(self, move, date):
        """The debtor's open customer invoices overdue at ``date``, ``move`` first.

        Only invoices in ``move``'s currency, and not excluded from collection
        (disputed, for example), are claimed together.

        :return: account.move recordset
        """
        overdue = move.search(
            [
                *move._collection_get_collectible_domain(),
                ("company_id", "=", move.company_id.id),
                ("commercial_partner_id", "=", move.commercial_partner_id.id),
                ("currency_id", "=", move.currency_id.id),
                ("invoice_date_due", "<", date),
            ],
            order="invoice_date_due, name, id",
        )
        return move | overdue if move in overdue else overdue

    @api.model
    def _get_letter_rows(self, move, date):
        """The invoices a letter of ``move`` claims at ``date``, with their
        charges, and their totals: what the letter asks for.

        :return: (list of row dicts, dict of totals: original, due,
            correction, fine, interest, total)
        """
        rows = []
        totals = dict.fromkeys(
            ("original", "due", "correction", "fine", "interest", "total"), 0.0
        )
        for invoice in self._get_overdue_invoices(move, date):
            charges = invoice._collection_get_charges(date)
            rows.append(
                {
                    "invoice": invoice,
                    "original": invoice.amount_total,
                    "due": invoice.amount_residual,
                    **charges,
                }
            )
            # Every row is in the letter's currency: they add up.
            totals["original"] += invoice.amount_total
            totals["due"] += invoice.amount_residual
            totals["correction"] += charges["correction"]
            totals["fine"] += charges["fine"]
            totals["interest"] += charges["interest"]
            totals["total"] += charges["total"]
        return rows, totals

    @api.model
    def _get_earlier_contacts(self, rows, letter_type):
        """The collection steps already carried out on the letter's invoices,
        letters of other types included, this type's own excluded.

        :return: collection.ruler.event records
        """
        invoices = self.env["account.move"].browse([row["invoice"].id for row in rows])
        return (
            self.env["collection.ruler.event"]
            .sudo()
            .search([("move_id", "in", invoices.ids), ("state", "=", "done")])
            .filtered(
                lambda e: not e.step_id._get_channel()._prints_letters(e.step_id)
                or e.step_id.letter_type != letter_type
            )
        )

    @api.model
    def _get_letter_values(self, move, letter_type):
        """Everything a collection letter of ``move`` prints.

        :param move: the account.move the letter is about
        :param letter_type: a key of the step's ``letter_type`` selection
        :return: dict of values for the letter templates
        """
        # Read in the customer's language: the country, the payment terms...
        move = move.with_context(lang=move.partner_id.lang or self.env.lang)
        date = move._collection_get_today()
        debtor = move.commercial_partner_id
        deadline = self._get_letter_deadline(move, letter_type)
        rows, totals = self._get_letter_rows(move, date)
        if not rows:
            raise UserError(
                self.env._(
                    "%(invoice)s: %(customer)s has no overdue invoice to claim in a "
                    "letter.",
                    invoice=move.name,
                    customer=debtor.display_name,
                )
            )
        ruler = move.collection_ruler_id
        sent = self._get_earlier_contacts(rows, letter_type)
        return {
            "date": date,
            "deadline": deadline,
            "after_deadline": deadline + timedelta(days=1),
            "lawsuit_date": move.company_id._collection_next_business_day(
                deadline + timedelta(days=LAWSUIT_DELAY_DAYS)
            ),
            "max_days_late": max((row["days_late"] for row in rows), default=0),
            "fine_percent": ruler._get_fine_percent(debtor) if ruler else 0.0,
            "interest_percent": ruler.interest_percent if ruler else 0.0,
            "interest_rule": ruler.interest_rule if ruler else "contract",
            # The correction column and its note, when the ruler corrects.
            "correction": ruler.correction_index == "ipca" if ruler else False,
            "protest": bool(ruler.protest_allowed),
            "bureau_with": self._get_bureau_phrase(move, ruler),
            "individual": debtor._collection_is_individual(),
            "tax_id_label": {"cpf": "CPF", "cnpj": "CNPJ"}.get(
                debtor._collection_get_tax_id_kind(), "CPF/CNPJ"
            ),
            "single": len(rows) == 1,
            # What the letter may say was sent before: only what was.
            "earlier_reminders": bool(sent),
            "earlier_letters": bool(
                sent.filtered(
                    lambda e: e.step_id._get_channel()._prints_letters(e.step_id)
                )
            ),
            "creditor": move.company_id.partner_id,
            "company": move.company_id,
            "debtor": debtor,
            "rows": rows,
            "totals": totals,
            "currency": move.currency_id,
            # The Pix collects what the letter asks for; each invoice's link
            # and boleto pay its amount due.
            "pay_links": self._get_short_pay_urls(rows),
            # One page to pay them all: each link, and the Pix of the total.
            "pay_all_link": self._get_short_pay_all_url(rows),
            "pix": move._collection_get_pix(totals["total"]),
            "boletos": [
                (row["invoice"], row["invoice"].collection_boleto_line)
                for row in rows
                if row["invoice"].collection_boleto_line
            ],
        }

    @api.model
    def _get_bureau_phrase(self, move, ruler):
        """With which bureau the ruler registers the debtor, in the letter's
        language: the bureau of its credit-bureau step, named when it has one.

        :return: a translated phrase ("with the credit protection bureau ...")
        """
        letter = self.with_context(lang=move.partner_id.lang or self.env.lang)
        steps = ruler.step_ids.filtered(
            lambda s: s.active and s._get_channel()._get_bureau(s)
        )
        bureau = steps[:1].bureau
        if not bureau or bureau == "other":
            return letter.env._("with a credit protection bureau")
        labels = dict(steps._fields["bureau"]._description_selection(letter.env))
        return letter.env._(
            "with the credit protection bureau %(bureau)s", bureau=labels[bureau]
        )

    @api.model
    def _get_short_pay_urls(self, rows):
        """Each claimed invoice's pay link, short enough to type from paper.

        :return: list of (invoice, short url)
        """
        urls = [
            (row["invoice"], row["invoice"]._collection_get_pay_url()) for row in rows
        ]
        short = self.env["account.move"]._collection_shorten_urls(u for _i, u in urls)
        return [(invoice, short.get(url, url)) for invoice, url in urls]

    @api.model
    def _get_short_pay_all_url(self, rows):
        """The short link of the page paying every claimed invoice, when the
        letter claims more than one. :return: a URL, or False"""
        if len(rows) < 2:
            return False
        invoices = self.env["account.move"].union(*(row["invoice"] for row in rows))
        url = invoices._collection_get_pay_all_url()
        return self.env["account.move"]._collection_shorten_urls([url]).get(url, url)


class ReportCollectionDebitNotice(models.AbstractModel):
    _name = "report.collection_ruler.report_debit_notice"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Debit Notice"
    _letter_type = "debit_notice"


class ReportCollectionNejLight(models.AbstractModel):
    _name = "report.collection_ruler.report_nej_light"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Extrajudicial Notice, Light"
    _letter_type = "nej_light"


class ReportCollectionNejModerate(models.AbstractModel):
    _name = "report.collection_ruler.report_nej_moderate"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Extrajudicial Notice, Moderate"
    _letter_type = "nej_moderate"


class ReportCollectionNejHeavy(models.AbstractModel):
    _name = "report.collection_ruler.report_nej_heavy"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Extrajudicial Notice, Heavy"
    _letter_type = "nej_heavy"
