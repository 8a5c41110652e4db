from uuid import uuid4

from odoo import api, models

from odoo.addons.sms.tools.sms_tools import sms_content_to_rendered_html

from .collection_channel import Outcome


class CollectionChannelSms(models.AbstractModel):
    """SMS: the step's SMS template queued to the customer's mobile number.

    A batch works as the SMS composer's mass mode: the template is rendered
    once, the SMS are created in the queue in one go, and each invoice gets a
    note with the text. Odoo's SMS queue sends them after the run commits.
    """

    _name = "collection.channel.sms"
    _inherit = "collection.channel"
    _description = "Collection Channel: SMS"

    @api.model
    def _get_step_defaults(self):
        template = self.env.ref(
            "collection_ruler.sms_template_collection_overdue",
            raise_if_not_found=False,
        )
        return {"sms_template_id": template.id} if template else {}

    @api.model
    def _check_step(self, step):
        if not step.sms_template_id:
            return [
                self.env._(
                    "Step %(name)s sends an SMS: choose its SMS template.",
                    name=step.name,
                )
            ]
        return []

    @api.model
    def _get_numbers(self, events):
        """The E.164 mobile number of each event's customer.

        The number is read with the customer's country, then the company's,
        through ``phone_validation``'s ``_phone_format``.

        :return: dict {event id: (raw number, E.164 number or False)}
        """
        result = {}
        for event in events:
            partner = event.move_id.partner_id
            raw = partner.mobile or partner.phone
            country = partner.country_id or event.company_id.country_id
            sanitized = raw and partner._phone_format(number=raw, country=country)
            result[event.id] = (raw, sanitized)
        return result

    @api.model
    def _get_unreachable_reasons(self, events):
        reasons = {}
        numbers = self._get_numbers(events)
        sanitized = [number for _raw, number in numbers.values() if number]
        blacklisted = set()
        if sanitized:
            blacklisted = set(
                self.env["phone.blacklist"]
                .sudo()
                .search([("number", "in", sanitized)])
                .mapped("number")
            )
        for event in events:
            partner = event.move_id.partner_id
            raw, number = numbers[event.id]
            if not partner.active:
                reasons[event.id] = self.env._(
                    "%(customer)s is archived.", customer=partner.display_name
                )
            elif not raw:
                reasons[event.id] = self.env._(
                    "%(customer)s has no mobile number.",
                    customer=partner.display_name,
                )
            elif not number:
                reasons[event.id] = self.env._(
                    "The number %(number)s of %(customer)s is not a valid phone "
                    "number.",
                    number=raw,
                    customer=partner.display_name,
                )
            elif number in blacklisted:
                reasons[event.id] = self.env._(
                    "The number %(number)s of %(customer)s is on the SMS blacklist.",
                    number=number,
                    customer=partner.display_name,
                )
        return reasons

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes, events = self._split_unreachable(events)
        numbers = self._get_numbers(events)
        self.env["collection.channel.email"]._ensure_access_tokens(events.move_id)
        sms_values, bodies, sent = [], {}, self.env["collection.ruler.event"]
        for step in events.step_id:
            step_events = events.filtered(lambda e, step=step: e.step_id == step)
            texts = step.sms_template_id._render_field(
                "body", step_events.move_id.ids, compute_lang=True
            )
            for event in step_events:
                text = texts.get(event.move_id.id)
                if not text or not text.strip():
                    outcomes[event.id] = Outcome.failed(
                        self.env._(
                            "The SMS template of step %(step)s rendered an empty "
                            "text.",
                            step=step.name,
                        )
                    )
                    continue
                sms_values.append(
                    {
                        "body": text,
                        "number": numbers[event.id][1],
                        "partner_id": event.move_id.partner_id.id,
                        "state": "outgoing",
                        "uuid": uuid4().hex,
                    }
                )
                bodies[event.move_id.id] = sms_content_to_rendered_html(text)
                sent |= event
        if not sent:
            return outcomes
        # ``outgoing``: Odoo's SMS queue sends them once this run has
        # committed, never from inside a batch that could still roll back.
        sms_records = self.env["sms.sms"].sudo().create(sms_values)
        messages = sent.move_id._message_log_batch(bodies=bodies, message_type="sms")
        message_by_move = {message.res_id: message for message in messages}
        for event, sms in zip(sent, sms_records, strict=True):
            outcomes[event.id] = Outcome.done(
                {
                    "message_id": message_by_move[event.move_id.id].id,
                    "sms_id": sms.id,
                    "sms_number": sms.number,
                }
            )
        return outcomes
