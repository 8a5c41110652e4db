"""Fallback: the channel a step uses when its own cannot reach the customer.

A step may have one fallback step, a step of its own with its channel and
template, which is never scheduled by itself. An event whose customer cannot
be reached (a missing or invalid contact, an opt-out, a provider that failed
for good, a call left unanswered) *falls back*: it keeps the reason, and a
new event of the fallback step is scheduled for the invoice that same day.
The timeline shows both.
"""

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .collection_channel import clock

# Channels a step may not fall back to: a registration is no substitute for
# a message the customer did not get.
NOT_A_FALLBACK = ("credit_bureau",)


class CollectionRulerStep(models.Model):
    _inherit = "collection.ruler.step"  # pylint: disable=consider-merging-classes-inherited

    fallback_for_id = fields.Many2one(
        comodel_name="collection.ruler.step",
        string="Fallback Of",
        ondelete="cascade",
        index="btree_not_null",
        readonly=True,
        help="The step this one stands in for when its customer cannot be "
        "reached on that step's channel.",
    )
    fallback_step_ids = fields.One2many(
        comodel_name="collection.ruler.step",
        inverse_name="fallback_for_id",
        string="Fallback",
        copy=True,
        help="When the customer cannot be reached on this step's channel (no "
        "valid contact, opted out, the provider refused, the call went "
        "unanswered), this step runs instead, the same day.",
    )

    @api.constrains("fallback_for_id", "fallback_step_ids", "channel")
    def _check_fallback(self):
        for step in self:
            if len(step.fallback_step_ids) > 1:
                raise ValidationError(self.env._("A step has one fallback at most."))
            parent = step.fallback_for_id
            if not parent:
                continue
            if step.fallback_step_ids:
                raise ValidationError(
                    self.env._("A fallback step has no fallback of its own.")
                )
            if step.channel == parent.channel:
                raise ValidationError(
                    self.env._(
                        "The fallback of step %(step)s uses another channel than "
                        "the step.",
                        step=parent.name,
                    )
                )
            if step.channel in NOT_A_FALLBACK:
                raise ValidationError(
                    self.env._("A credit-bureau registration is never a fallback.")
                )

    @api.model_create_multi
    def create(self, vals_list):
        # A fallback belongs to its step's ruler and runs in its place.
        ids = [
            vals["fallback_for_id"] for vals in vals_list if vals.get("fallback_for_id")
        ]
        parents = self.browse(ids)
        by_id = {parent.id: parent for parent in parents}
        for vals in vals_list:
            parent = by_id.get(vals.get("fallback_for_id"))
            if parent:
                vals.update(
                    ruler_id=parent.ruler_id.id,
                    offset_days=parent.offset_days,
                    sequence=parent.sequence,
                )
                vals.setdefault(
                    "name",
                    self.env._("%(step)s (fallback)", step=parent.name),
                )
        return super().create(vals_list)

    def write(self, vals):
        res = super().write(vals)
        # A fallback follows its step's ruler, day and place.
        moved = {"ruler_id", "offset_days", "sequence"} & set(vals)
        fallbacks = self.fallback_step_ids
        if moved and fallbacks:
            for step in self.filtered("fallback_step_ids"):
                step.fallback_step_ids.write(
                    {
                        "ruler_id": step.ruler_id.id,
                        "offset_days": step.offset_days,
                        "sequence": step.sequence,
                    }
                )
        return res


class CollectionRulerEvent(models.Model):
    _inherit = "collection.ruler.event"  # pylint: disable=consider-merging-classes-inherited

    state = fields.Selection(
        selection_add=[("fell_back", "Fell Back"), ("skipped",)],
        ondelete={"fell_back": lambda events: events.write({"state": "failed"})},
    )
    fallback_of_id = fields.Many2one(
        comodel_name="collection.ruler.event",
        string="Fallback Of",
        ondelete="set null",
        index="btree_not_null",
        readonly=True,
        help="The event this one stands in for: its customer could not be "
        "reached on its channel.",
    )
    fallback_event_ids = fields.One2many(
        comodel_name="collection.ruler.event",
        inverse_name="fallback_of_id",
        string="Fallback Events",
        readonly=True,
    )

    def _fall_back(self, reasons):
        """Hand the events whose step has a fallback over to it.

        Each such event becomes *fell back* with its reason, and an event of
        the fallback step is scheduled for its invoice the same day (or the
        existing one reused: an invoice has one event per step).

        :param dict reasons: {event id: translated one-line reason}
        :return: dict {event: note for its invoice's chatter} of the events
            that fell back; the others are left as they are
        """
        fallback_of = {
            event: event.step_id.fallback_step_ids.filtered("active")[:1]
            for event in self
            if not event.fallback_of_id
        }
        events = self.filtered(lambda e: fallback_of.get(e))
        if not events:
            return {}
        Event = self.sudo()
        existing = {
            (event.move_id, event.step_id): event
            for event in Event.search(
                [
                    ("move_id", "in", events.move_id.ids),
                    ("step_id", "in", [s.id for s in fallback_of.values()]),
                ]
            )
        }
        Schedule = self.env["collection.ruler.schedule"]
        to_create, reuse = [], []
        for event in events:
            step = fallback_of[event]
            if (event.move_id, step) in existing:
                reuse.append((existing[event.move_id, step], event))
                continue
            values = Schedule._prepare_event_values(
                event.move_id, step, event.company_id._collection_get_today()
            )
            to_create.append({**values, "fallback_of_id": event.id})
        Event.create(to_create)
        for fallback, event in reuse:
            if fallback.state in ("cancelled", "scheduled"):
                fallback.write(
                    {
                        "state": "scheduled",
                        "scheduled_date": event.company_id._collection_get_today(),
                        "fallback_of_id": event.id,
                        "failure_reason": False,
                    }
                )
        now = clock(self.env)
        notes = {}
        for event in events:
            reason = reasons[event.id]
            event.write(
                {
                    "state": "fell_back",
                    "executed_at": event.executed_at or now,
                    "failure_reason": reason,
                    "amount_residual": event.move_id.amount_residual,
                }
            )
            notes[event] = self.env._(
                "Collection step %(step)s fell back to %(fallback)s: %(reason)s",
                step=event.step_id.name,
                fallback=fallback_of[event].name,
                reason=reason,
            )
        self.env.ref("collection_ruler.ir_cron_collection_ruler_run").sudo()._trigger()
        return notes

    def _fail_after_run(self, reasons):
        """A step that ran turned out not to reach its customer (a provider
        refused its message, a call went unanswered, an email bounced): fall
        back where the step says so, fail the event otherwise.

        :param dict reasons: {event id: translated one-line reason}
        """
        done = self.filtered(lambda e: e.state == "done")
        for company, events in done.grouped("company_id").items():
            # The notes are read by the company's staff, whoever reported.
            events = events.with_context(lang=company._collection_get_lang())
            notes = events._fall_back(reasons)
            for event in events.filtered(lambda e, n=notes: e not in n):
                event.write({"state": "failed", "failure_reason": reasons[event.id]})
                notes[event] = events.env._(
                    "Collection step %(step)s failed: %(reason)s",
                    step=event.step_id.name,
                    reason=reasons[event.id],
                )
            by_move = {}
            for event, note in notes.items():
                by_move.setdefault(event.move_id, []).append(note)
            events._log_notes(by_move)
