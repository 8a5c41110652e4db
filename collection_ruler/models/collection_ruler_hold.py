from collections import defaultdict
from datetime import timedelta

from odoo import api, models

from .collection_channel import Outcome


class CollectionRulerHold(models.AbstractModel):
    """The payment hold: collection waits for money the customer already paid.

    A payment received but not reconciled, or an open credit note, shows on
    the invoice as an outstanding credit. Dunning a customer who has paid, or
    registering them with a credit bureau, is the classic ground for a
    moral-damages claim in Brazil, so before any step the run counts them:

    - when they cover what the invoice still owes, every step is held;
    - when they cover part of it, reminders go out, quoting what is left
      after them, and the steps with legal weight (letters, the credit
      bureau) wait.

    A held step is deferred to the next day, with the reason on the
    timeline, and a collector gets one activity to reconcile.
    """

    _name = "collection.ruler.hold"
    _inherit = "collection.ruler.guard"
    _description = "Collection Payment Hold"

    @api.model
    def _get_outstanding_credits(self, moves):
        """What each invoice's customer has on account, in the invoice's currency.

        The lines that the invoice's "Outstanding credits" widget offers to
        reconcile: posted, unreconciled credit lines of the customer on the
        invoice's receivable accounts. One search for all the invoices.

        :param moves: account.move records
        :return: dict {move id: amount}, without the invoices with none
        """
        if not moves:
            return {}
        lines = (
            self.env["account.move.line"]
            .sudo()
            .search_fetch(
                [
                    ("partner_id", "in", moves.commercial_partner_id.ids),
                    ("company_id", "in", moves.company_id.ids),
                    ("account_id.account_type", "=", "asset_receivable"),
                    ("parent_state", "=", "posted"),
                    ("reconciled", "=", False),
                    ("balance", "<", 0.0),
                    "|",
                    ("amount_residual", "!=", 0.0),
                    ("amount_residual_currency", "!=", 0.0),
                ],
                [
                    "partner_id",
                    "account_id",
                    "currency_id",
                    "company_currency_id",
                    "amount_residual",
                    "amount_residual_currency",
                    "date",
                ],
            )
        )
        by_account = defaultdict(list)
        for line in lines:
            by_account[line.partner_id.id, line.account_id.id].append(line)
        credits = {}
        for move in moves:
            accounts = move.line_ids.account_id.filtered(
                lambda account: account.account_type == "asset_receivable"
            )
            total = 0.0
            for account in accounts:
                for line in by_account[move.commercial_partner_id.id, account.id]:
                    if line.currency_id == move.currency_id:
                        total += abs(line.amount_residual_currency)
                    else:
                        total += line.company_currency_id._convert(
                            abs(line.amount_residual),
                            move.currency_id,
                            move.company_id,
                            line.date,
                        )
            if not move.currency_id.is_zero(total):
                credits[move.id] = move.currency_id.round(total)
        return credits

    @api.model
    def _plan(self, events, todays):
        """Hold the due events of invoices whose customer has money on account.

        :param events: due, scheduled collection.ruler.event records
        :param dict todays: {company id: today}
        :return: (events to run, {event id: deferred Outcome} of those held)
        """
        credits = self._get_outstanding_credits(events.move_id)
        if not credits:
            return events, {}
        traits = self.env["collection.ruler.catchup"]._get_step_traits(events.step_id)
        held = {}
        for event in events.filtered(lambda e: e.move_id.id in credits):
            move = event.move_id
            credit = credits[move.id]
            covered = (
                move.currency_id.compare_amounts(credit, move.amount_residual) >= 0
            )
            if not covered and not traits[event.step_id]["legal_weight"]:
                continue  # a reminder, quoting what is left after the credits
            values = {
                "customer": move.commercial_partner_id.name,
                "amount": move.currency_id.format(credit),
            }
            if covered:
                reason = self.env._(
                    "%(customer)s has %(amount)s in payments or credit notes not "
                    "reconciled yet, which cover this invoice: reconcile them "
                    "before collection goes on.",
                    **values,
                )
            else:
                reason = self.env._(
                    "%(customer)s has %(amount)s in payments or credit notes not "
                    "reconciled yet: a step with legal weight waits until they "
                    "are reconciled.",
                    **values,
                )
            tomorrow = todays[event.company_id.id] + timedelta(days=1)
            held[event.id] = Outcome.deferred(tomorrow, reason)
        held_events = events.browse(list(held))
        self._schedule_reconciliation(held_events, credits)
        return events - held_events, held

    @api.model
    def _schedule_reconciliation(self, events, credits):
        """Give a collector one activity per held invoice: reconcile first.

        An invoice that has an open one already gets no other.
        """
        if not events:
            return
        activity_type = self.env.ref("collection_ruler.mail_activity_type_reconcile")
        moves = events.move_id
        open_ones = self.env["mail.activity"].search(
            [
                ("res_model", "=", moves._name),
                ("res_id", "in", moves.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        moves -= moves.browse(open_ones.mapped("res_id"))
        model_id = self.env["ir.model"]._get_id(moves._name)
        values = []
        for move in moves:
            event = events.filtered(lambda e, m=move: e.move_id == m)[:1]
            user = self._get_reconciler(event)
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": move.id,
                    "activity_type_id": activity_type.id,
                    "summary": self.env._(
                        "Reconcile the payment of %(customer)s before collection "
                        "goes on",
                        customer=move.commercial_partner_id.name,
                    ),
                    "note": self.env._(
                        "%(amount)s in payments or credit notes of this customer "
                        "are not reconciled. Collection of this invoice waits "
                        "until they are.",
                        amount=move.currency_id.format(credits[move.id]),
                    ),
                    "user_id": user.id,
                    "date_deadline": event.company_id._collection_get_today(),
                }
            )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            values
        )

    @api.model
    def _get_reconciler(self, event):
        """A person who can reconcile: the step's responsible, the salesperson,
        or the company's first accounting manager; never OdooBot."""
        move = event.move_id
        managers = self.env.ref("account.group_account_manager").users.sorted("id")
        candidates = event.step_id.activity_user_id | move.invoice_user_id | managers
        root = self.env.ref("base.user_root")
        return (
            candidates.filtered(
                lambda u: u != root
                and u.active
                and not u.share
                and move.company_id in u.company_ids
            )[:1]
            or self.env.user
        )
