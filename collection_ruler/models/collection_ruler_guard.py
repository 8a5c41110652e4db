"""The guard contract: what may stop a due step from running today.

A guard is an ``AbstractModel`` that inherits ``collection.ruler.guard`` and
implements ``_plan``. The run (``collection.ruler.run._get_guards``) hands
every batch of due events to each guard in turn, after the catch-up rule;
an event a guard holds back reaches neither the later guards nor its channel.

A guard *defers* an event: its outcome is ``Outcome.deferred(reason, date)``,
which keeps the event scheduled, moves its date when it gives one, and notes
the reason on the invoice. It never sends, fails or cancels anything: what a
step does is its channel's business. The Preview runs the same guards on its
dry run, so what it shows is what the cron would do.

Another module adds a guard by defining the model and extending
``_get_guards`` with ``super()``::

    class CollectionRulerRun(models.Model):
        _inherit = "collection.ruler.run"

        def _get_guards(self):
            return [*super()._get_guards(), "collection.ruler.my_guard"]
"""

from odoo import api, models


class CollectionRulerGuard(models.AbstractModel):
    _name = "collection.ruler.guard"
    _description = "Collection Guard"

    @api.model
    def _plan(self, events, todays):
        """Say which of the due events may run now, and defer the others.

        Called once per batch and company, with the whole batch: a guard reads
        what it needs for all the events at once, never one query per event.

        :param events: due, scheduled collection.ruler.event records of one
            company, in the run's environment (a Preview's is a dry run)
        :param dict todays: {company id: today, in the company's time zone}
        :return: a pair (events to run, {event id: Outcome}), the events to run
            a subset of ``events`` and each held event's outcome an
            ``Outcome.deferred`` with a translated one-line reason
        """
        raise NotImplementedError()
