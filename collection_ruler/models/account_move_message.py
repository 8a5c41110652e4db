"""What every collection message says about its creditor and its amounts.

Brazil's consumer code asks every collection document to show the creditor's
name, address and CPF/CNPJ (CDC art. 42-A), and some states (Rio de Janeiro,
Alagoas) ask for the amounts itemised. Mail, SMS and WhatsApp templates read
both from here:

- ``collection_creditor``: the company's name, tax id and address, on one
  line;
- ``collection_charges_summary``: the principal, the IPCA correction when
  the ruler applies one, the late fine and the interest, with the interest
  rule that computed them, for the invoices the message lists (a digest's,
  all of them); ``collection_letter_charges_summary``, the same for what a
  letter claims.

The line itself comes from the company (``res_company.py``). A message
cannot leave without its creditor: the collection email layout
prints it under every email, an email template without a layout gets that
layout, the SMS channel adds the line to a text that lacks the company's tax
id, and a WhatsApp step needs a template variable that carries it
(``collection_channel_whatsapp.py``). Letters print their own creditor block
(``reports/collection_letter_templates.xml``).
"""

from odoo import api, fields, models
from odoo.tools.misc import format_amount, formatLang


class AccountMove(models.Model):
    # The invoice model is long: what messages say about the debt lives apart.
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

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
