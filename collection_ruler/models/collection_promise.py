"""Promises to pay: a date and an amount that pause an invoice's ruler.

While a promise is open, its invoice's steps wait until the day after the
promised date (a day for the payment to show). Then the promise is kept,
when the customer paid at least the promised amount since they promised, or
broken: the ruler resumes and the chatter says so.
"""

from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools.misc import format_date

# Days after the promised date for the payment to show.
GRACE_DAYS = 1


class CollectionPromise(models.Model):
    _name = "collection.promise"
    _description = "Promise to Pay"
    _order = "date desc, id desc"
    _check_company_auto = True

    move_id = fields.Many2one(
        comodel_name="account.move",
        string="Invoice",
        required=True,
        ondelete="cascade",
        index=True,
        check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    partner_id = fields.Many2one(
        related="move_id.commercial_partner_id", store=True, string="Customer"
    )
    company_id = fields.Many2one(related="move_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="move_id.currency_id")
    date = fields.Date(string="Promised Date", required=True)
    amount = fields.Monetary(string="Promised Amount", required=True)
    residual_at_promise = fields.Monetary(
        string="Due When Promised",
        readonly=True,
        help="What the invoice still owed when the promise was made.",
    )
    state = fields.Selection(
        selection=[
            ("open", "Open"),
            ("kept", "Kept"),
            ("broken", "Broken"),
            ("cancelled", "Cancelled"),
        ],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    user_id = fields.Many2one(
        comodel_name="res.users",
        string="Recorded By",
        default=lambda self: self.env.user,
        readonly=True,
    )
    source = fields.Selection(
        selection=[("collector", "Collector"), ("portal", "Customer, on the portal")],
        default="collector",
        required=True,
        readonly=True,
    )
    note = fields.Char()

    @api.constrains("amount", "date")
    def _check_promise(self):
        for promise in self:
            if promise.currency_id.compare_amounts(promise.amount, 0) <= 0:
                raise ValidationError(self.env._("A promise is of a positive amount."))

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            move = promise.move_id
            if move.state != "posted" or move.move_type != "out_invoice":
                raise UserError(
                    self.env._("Only posted customer invoices are promised.")
                )
            today = move.company_id._collection_get_today()
            if promise.date < today:
                raise ValidationError(self.env._("A promise is for today or later."))
            promise.residual_at_promise = move.amount_residual
            # In the company's language, not the portal customer's.
            env = move._collection_company_lang_env()
            who = promise.user_id.name
            if promise.source == "portal":
                who = env._(
                    "%(customer)s, on the portal,", customer=move.partner_id.name
                )
            move._message_log(
                body=env._(
                    "Collection: %(user)s recorded a promise to pay %(amount)s by "
                    "%(date)s. The ruler waits until then.",
                    user=who,
                    amount=promise.currency_id.with_env(env).format(promise.amount),
                    date=format_date(env, promise.date),
                )
            )
        return promises

    def _pause_until(self):
        """The last day this promise pauses its invoice."""
        self.ensure_one()
        return self.date + timedelta(days=GRACE_DAYS)

    def _is_kept(self):
        """Whether the customer paid at least the promised amount since."""
        self.ensure_one()
        move = self.move_id
        paid = self.residual_at_promise - move.amount_residual
        return move.payment_state in ("paid", "in_payment") or (
            move.currency_id.compare_amounts(paid, self.amount) >= 0
        )

    @api.model
    def _cron_check(self):
        """Settle the open promises whose date and grace day have passed:
        kept, or broken, and the ruler resumes. Run by the collection run."""
        promises = self.sudo().search([("state", "=", "open")])
        for promise in promises:
            move = promise.move_id
            env = move._collection_company_lang_env()
            if promise._is_kept():
                promise.state = "kept"
                move._message_log(
                    body=env._("Collection: the promise to pay was kept.")
                )
                continue
            if move.state != "posted" or move.payment_state == "reversed":
                promise.state = "cancelled"  # nothing is owed on it any more
                continue
            if promise._pause_until() >= move.company_id._collection_get_today():
                continue
            promise.state = "broken"
            move._message_log(
                body=env._(
                    "Collection: promise broken: %(amount)s promised by %(date)s "
                    "was not paid. The ruler resumes.",
                    amount=promise.currency_id.with_env(env).format(promise.amount),
                    date=format_date(env, promise.date),
                )
            )
            promise._schedule_broken_promise_steps()

    def _schedule_broken_promise_steps(self):
        """Schedule, for today, the steps of the invoice's ruler that run on
        a broken promise (once per invoice: a step runs once on an invoice)."""
        self.ensure_one()
        move = self.move_id
        steps = move.collection_ruler_id.step_ids.filtered(
            lambda s: s.active and s.on_broken_promise
        )
        if not steps:
            return
        Event = self.env["collection.ruler.event"].sudo()
        existing = {
            event.step_id: event
            for event in Event.search(
                [("move_id", "=", move.id), ("step_id", "in", steps.ids)]
            )
        }
        today = move.company_id._collection_get_today()
        Schedule = self.env["collection.ruler.schedule"]
        for step in steps:
            event = existing.get(step)
            if not event:
                Event.create(Schedule._prepare_event_values(move, step, today))
            elif event.state in ("scheduled", "cancelled"):
                event.write(
                    {
                        "state": "scheduled",
                        "scheduled_date": today,
                        "failure_reason": False,
                    }
                )

    def action_cancel(self):
        for promise in self.filtered(lambda p: p.state == "open"):
            promise.state = "cancelled"
            env = promise.move_id._collection_company_lang_env()
            promise.move_id._message_log(
                body=env._(
                    "Collection: %(user)s cancelled the promise to pay by %(date)s.",
                    user=self.env.user.name,
                    date=format_date(env, promise.date),
                )
            )
        return True
