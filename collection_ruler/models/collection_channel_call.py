from odoo import api, models
from odoo.tools.mail import html2plaintext

from .collection_channel import Outcome


class CollectionChannelCall(models.AbstractModel):
    """Call: a call activity with the step's script, for a person to make.

    The activity goes to the step's responsible user, else the invoice's
    salesperson. A batch creates every activity in one go and logs one note
    per invoice.
    """

    _name = "collection.channel.call"
    _inherit = "collection.channel"
    _description = "Collection Channel: Call"

    @api.model
    def _get_step_defaults(self):
        activity_type = self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        )
        return {"activity_type_id": activity_type.id} if activity_type else {}

    @api.model
    def _get_message_texts(self, step):
        script = html2plaintext(step.activity_note or "").strip()
        if not script:
            return []
        return [(self.env._("%(step)s (call script)", step=step.name), [script])]

    @api.model
    def _get_serves_as_debit_notice(self, step):
        return False  # a conversation leaves no written notice

    @api.model
    def _get_contact_hours_channel(self, event):
        # The step gives a collector an activity; the collector calls when
        # the customer may be called.
        return False

    @api.model
    def _get_unreachable_reasons(self, events):
        reasons = {}
        for event in events:
            partner = event.move_id.partner_id
            if not (partner.phone or partner.mobile):
                reasons[event.id] = self.env._(
                    "%(customer)s has no phone number to call.",
                    customer=partner.display_name,
                )
        return reasons

    @api.model
    def _get_caller(self, event):
        """The user who makes the call of ``event``."""
        move, step = event.move_id, event.step_id
        return step.activity_user_id or move.invoice_user_id or move.create_uid

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes, events = self._split_unreachable(events)
        if not events:
            return outcomes
        default_type = self.env.ref("mail.mail_activity_data_call")
        model_id = self.env["ir.model"]._get_id(events.move_id._name)
        today = events.company_id[:1]._collection_get_today()
        values = []
        for event in events:
            step = event.step_id
            values.append(
                {
                    "res_model_id": model_id,
                    "res_id": event.move_id.id,
                    "activity_type_id": (step.activity_type_id or default_type).id,
                    "summary": step.activity_summary or step.name,
                    "note": step.activity_note,
                    "user_id": self._get_caller(event).id,
                    "date_deadline": today,
                }
            )
        # ``mail_activity_quick_update``: the caller sees the activity in
        # their list; one email per call would only flood their inbox.
        activities = (
            self.env["mail.activity"]
            .with_context(mail_activity_quick_update=True)
            .create(values)
        )
        for event, activity in zip(events, activities, strict=True):
            outcomes[event.id] = Outcome.done(
                {"activity_id": activity.id},
                note=self.env._(
                    "Collection step %(step)s: call scheduled for %(user)s.",
                    step=event.step_id.name,
                    user=activity.user_id.name,
                ),
            )
        return outcomes
