from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError

# Changing one of these fields on an invoice may change its collection schedule.
COLLECTION_TRIGGER_FIELDS = {
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
        string="Collection Ruler",
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

    # === Compute methods === #

    @api.depends("partner_id", "company_id", "move_type")
    def _compute_collection_ruler_id(self):
        for move in self:
            if move.move_type != "out_invoice":
                move.collection_ruler_id = False
                continue
            partner = move.partner_id.with_company(move.company_id)
            move.collection_ruler_id = (
                partner.collection_ruler_id
                or partner.commercial_partner_id.collection_ruler_id
                or move.company_id.collection_ruler_id
            )

    @api.depends("collection_event_ids.state", "collection_event_ids.scheduled_date")
    def _compute_collection_next_date(self):
        for move in self:
            dates = [
                event.scheduled_date
                for event in move.collection_event_ids
                if event.state == "scheduled"
            ]
            move.collection_next_date = min(dates) if dates else False

    # === CRUD === #

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
        res = super().write(vals)
        if COLLECTION_TRIGGER_FIELDS & set(vals):
            self._collection_sync_events()
        return res

    # === Business methods === #

    def _collection_get_stop_reason(self):
        """Say why this invoice must not be collected, if it must not.

        :return: a translated reason, or False when it can be collected
        """
        self.ensure_one()
        if self.move_type != "out_invoice":
            return self.env._("Only customer invoices are collected.")
        if self.state != "posted":
            return self.env._("The invoice is not posted.")
        if self.payment_state in ("paid", "in_payment"):
            return self.env._("The invoice is paid.")
        if self.payment_state == "reversed":
            return self.env._("The invoice was reversed.")
        if self.payment_state == "blocked":
            return self.env._("The invoice's payment is blocked.")
        if self.collection_excluded:
            return self.env._("The invoice is excluded from collection.")
        if not self.collection_ruler_id:
            return self.env._("The invoice has no collection ruler.")
        if not self.invoice_date_due:
            return self.env._("The invoice has no due date.")
        if self.currency_id.is_zero(self.amount_residual):
            return self.env._("Nothing is left to pay.")
        return False

    def _collection_sync_events(self):
        """Create, move or cancel the scheduled collection events of invoices.

        Events that already ran (done, failed or skipped) are never touched.
        Cancelled events come back when the invoice can be collected again,
        for example after a payment is undone.
        """
        moves = self.filtered(lambda m: m.move_type == "out_invoice")
        if not moves:
            return
        Event = self.env["collection.ruler.event"].sudo()
        existing = Event.search([("move_id", "in", moves.ids)])
        events_by_move = defaultdict(Event.browse)
        for event in existing:
            events_by_move[event.move_id.id] |= event
        to_create = []
        to_reschedule = defaultdict(Event.browse)
        to_cancel = defaultdict(Event.browse)
        for move in moves:
            events = events_by_move[move.id]
            pending = events.filtered(lambda e: e.state == "scheduled")
            stop_reason = move._collection_get_stop_reason()
            if stop_reason:
                to_cancel[stop_reason] |= pending
                continue
            steps = move.collection_ruler_id.step_ids.filtered("active")
            event_by_step = {event.step_id: event for event in events}
            for step in steps:
                date = move.invoice_date_due + timedelta(days=step.offset_days)
                event = event_by_step.get(step)
                if not event:
                    to_create.append(move._collection_prepare_event_values(step, date))
                elif event.state == "cancelled" or (
                    event.state == "scheduled"
                    and (event.scheduled_date, event.channel, event.step_sequence)
                    != (date, step.channel, step.sequence)
                ):
                    to_reschedule[date, step] |= event
            obsolete = pending.filtered(lambda e, steps=steps: e.step_id not in steps)
            if obsolete:
                to_cancel[
                    self.env._("The step is no longer part of the invoice's ruler.")
                ] |= obsolete
        for reason, events in to_cancel.items():
            if events:
                events.write({"state": "cancelled", "failure_reason": reason})
        for (date, step), events in to_reschedule.items():
            events.write(
                {
                    "state": "scheduled",
                    "scheduled_date": date,
                    "channel": step.channel,
                    "step_sequence": step.sequence,
                    "ruler_id": step.ruler_id.id,
                    "failure_reason": False,
                }
            )
        if to_create:
            Event.create(to_create)

    def _collection_prepare_event_values(self, step, date):
        """Values of a new collection event of this invoice for one step.

        :param step: collection.ruler.step record
        :param date: the scheduled date
        :return: dict of values for ``collection.ruler.event.create``
        """
        self.ensure_one()
        return {
            "move_id": self.id,
            "partner_id": self.commercial_partner_id.id,
            "ruler_id": step.ruler_id.id,
            "step_id": step.id,
            "step_sequence": step.sequence,
            "company_id": self.company_id.id,
            "channel": step.channel,
            "scheduled_date": date,
        }
