from odoo import api, fields, models
from odoo.exceptions import UserError


class CollectionLetterPost(models.TransientModel):
    """Record the day printed letters were handed to the post: for a debit
    notice, the proof of notice its credit-bureau registration waits for."""

    _name = "collection.letter.post"
    _description = "Mark Collection Letters as Posted"

    event_ids = fields.Many2many(
        comodel_name="collection.ruler.event",
        string="Letters",
        default=lambda self: self._default_event_ids(),
    )
    posted_date = fields.Date(
        string="Posted On", required=True, default=fields.Date.context_today
    )

    @api.model
    def _default_event_ids(self):
        if self.env.context.get("active_model") != "collection.ruler.event":
            return []
        return self.env["collection.ruler.event"].browse(
            self.env.context.get("active_ids", [])
        )

    def action_confirm(self):
        self.ensure_one()
        if not self.event_ids:
            raise UserError(self.env._("Select the printed letters that were posted."))
        self.event_ids._mark_posted(self.posted_date)
        return {"type": "ir.actions.act_window_close"}
