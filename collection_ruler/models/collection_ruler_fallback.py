"""Fallback: the channel a step uses when its own cannot reach the customer.

A step may have one fallback step, a step of its own with its channel and
template, which is never scheduled by itself. An event whose customer cannot
be reached (a missing or invalid contact, an opt-out, a provider that failed
for good, a call left unanswered) *falls back*: it keeps the reason, and a
new event of the fallback step is scheduled for the invoice that same day.
The timeline shows both.
"""

from odoo import api, models

from .collection_channel import clock


class CollectionRulerFallback(models.AbstractModel):
    _name = "collection.ruler.fallback"
    _description = "Collection Fallback"

    @api.model
    def _fall_back(self, events, reasons):
        """Hand the ``events`` whose step has a fallback over to it.

        Each such event becomes *fell back* with its reason, and an event of
        the fallback step is scheduled for its invoice the same day (or the
        existing one reused: an invoice has one event per step).

        :param events: collection.ruler.event records
        :param dict reasons: {event id: translated one-line reason}
        :return: dict {event: note for its invoice's chatter} of the events
            that fell back; the others are left as they are
        """
        fallback_of = {
            event: event.step_id.fallback_step_ids.filtered("active")[:1]
            for event in events
            if not event.fallback_of_id
        }
        falling = events.filtered(lambda e: fallback_of.get(e))
        if not falling:
            return {}
        Event = events.sudo()
        existing = {
            (event.move_id, event.step_id): event
            for event in Event.search(
                [
                    ("move_id", "in", falling.move_id.ids),
                    ("step_id", "in", [s.id for s in fallback_of.values()]),
                ]
            )
        }
        Schedule = self.env["collection.ruler.schedule"]
        to_create, reuse = [], []
        for event in falling:
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
        for event in falling:
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

    @api.model
    def _fail_after_run(self, events, reasons):
        """A step that ran turned out not to reach its customer (a provider
        refused its message, a call went unanswered, an email bounced): fall
        back where the step says so, print a debit notice that has no fallback
        step (``collection.notice.proof``), fail the event otherwise.

        :param events: collection.ruler.event records
        :param dict reasons: {event id: translated one-line reason}
        """
        notices = self.env["collection.notice.proof"]._print_undelivered(
            events, reasons
        )
        done = (events - notices).filtered(lambda e: e.state == "done")
        for company, group in done.grouped("company_id").items():
            # The notes are read by the company's staff, whoever reported.
            lang = company._collection_get_lang()
            group = group.with_context(lang=lang)
            notes = self.with_context(lang=lang)._fall_back(group, reasons)
            for event in group.filtered(lambda e, n=notes: e not in n):
                event.write({"state": "failed", "failure_reason": reasons[event.id]})
                notes[event] = group.env._(
                    "Collection step %(step)s failed: %(reason)s",
                    step=event.step_id.name,
                    reason=reasons[event.id],
                )
            by_move = {}
            for event, note in notes.items():
                by_move.setdefault(event.move_id, []).append(note)
            group._log_notes(by_move)
