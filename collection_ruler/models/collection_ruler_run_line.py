from odoo import fields, models


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
        selection=lambda self: (
            self.env["collection.ruler.step"]
            ._fields["channel"]
            ._description_selection(self.env)
        ),
        required=True,
    )
    due_count = fields.Integer(string="Due")
    done_count = fields.Integer(string="Done")
    failed_count = fields.Integer(string="Failed")
    deferred_count = fields.Integer(string="Deferred")
    skipped_count = fields.Integer(string="Skipped")
    cancelled_count = fields.Integer(string="Cancelled")
    retried_count = fields.Integer(string="Retried")

    _sql_constraints = [
        (
            "run_channel_unique",
            "UNIQUE(run_id, channel)",
            "A run counts each channel once.",
        ),
    ]
