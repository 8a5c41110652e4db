from odoo import api, fields, models

from .collection_channel import channel_selection
from .collection_ruler_run import OUTCOMES


class CollectionRulerRunLine(models.Model):
    """The outcomes of one run on one channel."""

    _name = "collection.ruler.run.line"
    _description = "Collection Run Channel"
    _order = "run_id, channel"

    run_id = fields.Many2one(
        comodel_name="collection.ruler.run",
        required=True,
        ondelete="cascade",
        index=True,
    )
    channel = fields.Selection(
        selection=channel_selection,
        required=True,
    )
    due_count = fields.Integer(string="Due")
    done_count = fields.Integer(string="Done")
    failed_count = fields.Integer(string="Failed")
    deferred_count = fields.Integer(string="Deferred")
    skipped_count = fields.Integer(string="Skipped")
    cancelled_count = fields.Integer(string="Cancelled")
    retried_count = fields.Integer(string="Retried")
    fell_back_count = fields.Integer(string="Fell Back")

    _sql_constraints = [
        (
            "run_channel_unique",
            "UNIQUE(run_id, channel)",
            "A run counts each channel once.",
        ),
    ]

    @api.model
    def _write_counters(self, run, by_channel):
        """Write ``run``'s counters per channel, creating the missing lines.

        :param dict by_channel: {channel: Counter of outcomes}
        """
        lines = {line.channel: line for line in run.line_ids}
        to_create = []
        for channel, counts in by_channel.items():
            values = {f"{outcome}_count": counts[outcome] for outcome in OUTCOMES}
            if channel in lines:
                lines[channel].write(values)
            else:
                to_create.append({"run_id": run.id, "channel": channel, **values})
        if to_create:
            self.create(to_create)
