from odoo import models


class CollectionRulerRun(models.Model):
    """What a manager opens from a run: the events it handled."""

    _inherit = "collection.ruler.run"  # pylint: disable=consider-merging-classes-inherited

    def action_view_events(self):
        """Open the events this run handled, filtered on one outcome."""
        self.ensure_one()
        outcome = self.env.context.get("collection_outcome")
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collection_ruler.collection_ruler_event_action"
        )
        domain = [("run_id", "=", self.id)]
        if outcome == "retried":
            domain += [("state", "=", "scheduled"), ("retry_count", ">", 0)]
        elif outcome == "deferred":
            domain += [
                ("state", "=", "scheduled"),
                "|",
                ("deferred_until", "!=", False),
                ("not_before", "!=", False),
            ]
        elif outcome and outcome != "due":
            domain.append(("state", "=", outcome))
        action["domain"] = domain
        action["context"] = {}
        return action
