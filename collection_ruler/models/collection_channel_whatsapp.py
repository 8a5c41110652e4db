from odoo import Command, api, fields, models
from odoo.tools.misc import format_amount, format_date

from ..tools import whatsapp_cloud
from .collection_channel import Outcome
from .collection_channel_sms import SPACES

# What a template variable can hold, in the customer's language.
VALUES = [
    ("partner_name", "Customer Name"),
    ("invoice_number", "Invoice Number"),
    ("amount_due", "Amount Due"),
    ("due_date", "Due Date"),
    ("pay_link", "Pay Link"),
    ("pix_code", "Pix Code"),
    ("boleto_line", "Boleto Line"),
    ("company_name", "Company Name"),
    ("creditor", "Creditor: Name, Tax ID and Address"),
    ("charges", "Itemised Amount Due"),
]


def _placeholders(count):
    """``{{1}}…{{n}}``, as a template numbers its ``count`` variables."""
    if count == 1:
        return "{{1}}"
    return f"{{{{1}}}}…{{{{{count}}}}}"


class CollectionRulerStep(models.Model):
    _inherit = "collection.ruler.step"

    channel = fields.Selection(
        selection_add=[("whatsapp", "WhatsApp")], ondelete={"whatsapp": "cascade"}
    )
    whatsapp_template_id = fields.Many2one(
        comodel_name="collection.whatsapp.template",
        string="WhatsApp Template",
        domain="[('usable', '=', True)]",
        ondelete="restrict",
        help="An approved template of the utility category, synced from the "
        "provider's business account.",
    )
    whatsapp_template_body = fields.Text(
        related="whatsapp_template_id.body",
        string="Template Text",
        help="The text Meta approved: each {{n}} is filled with the value of "
        "the variable numbered n below.",
    )
    whatsapp_param_ids = fields.One2many(
        comodel_name="collection.ruler.step.whatsapp.param",
        inverse_name="step_id",
        string="Template Variables",
        copy=True,
    )

    @api.constrains("whatsapp_template_id", "whatsapp_param_ids")
    def _check_whatsapp_settings(self):
        self._check_channel_settings()
        self._check_collection_wording()

    @api.onchange("whatsapp_template_id")
    def _onchange_whatsapp_template_id(self):
        """One line per variable of the chosen template, numbered {{1}} to
        {{n}} in order: the values already chosen are kept in that order."""
        for step in self:
            count = step.whatsapp_template_id.variable_count
            values = step.whatsapp_param_ids.sorted("sequence").mapped("value")
            values = (values + [False] * count)[:count]
            step.whatsapp_param_ids = [Command.clear()] + [
                Command.create({"sequence": number, "value": value})
                for number, value in enumerate(values, start=1)
            ]


class CollectionRulerStepWhatsAppParam(models.Model):
    _name = "collection.ruler.step.whatsapp.param"
    _description = "WhatsApp Template Variable of a Step"
    _order = "sequence, id"

    step_id = fields.Many2one(
        comodel_name="collection.ruler.step", required=True, ondelete="cascade"
    )
    sequence = fields.Integer(default=10)
    placeholder = fields.Char(
        string="Variable",
        compute="_compute_placeholder",
        help="The template's variable this value fills: the first line is {{1}}.",
    )
    value = fields.Selection(selection=VALUES, required=True)

    @api.depends("sequence", "step_id.whatsapp_param_ids")
    def _compute_placeholder(self):
        for param in self:
            params = list(param.step_id.whatsapp_param_ids.sorted("sequence"))
            param.placeholder = (
                f"{{{{{params.index(param) + 1}}}}}" if param in params else False
            )


class CollectionChannelWhatsApp(models.AbstractModel):
    """WhatsApp: an approved template message, sent through the company's
    WhatsApp provider after the run commits (``collection.provider.message``).

    The event is done once the message is queued; the message's statuses
    (sent, delivered, read) show on the event, and a message the provider
    refuses for good fails it.
    """

    _name = "collection.channel.whatsapp"
    _inherit = "collection.channel"
    _description = "Collection Channel: WhatsApp"
    _digest = True
    _provider_codes = ("whatsapp_cloud",)

    @api.model
    def _get_message_texts(self, step):
        return [
            (template.display_name, [template.body])
            for template in step.whatsapp_template_id
        ]

    @api.model
    def _check_step(self, step):
        template = step.whatsapp_template_id
        if not template or not template.usable:
            return [
                self.env._(
                    "Choose an approved WhatsApp template of the utility category."
                )
            ]
        if step.whatsapp_param_ids and not template.variable_count:
            return [
                self.env._(
                    "The template %(template)s has no variables: remove the "
                    "step's values.",
                    template=template.display_name,
                )
            ]
        if len(step.whatsapp_param_ids) != template.variable_count:
            return [
                self.env._(
                    "The template %(template)s has %(count)s variables, "
                    "%(placeholders)s, and the step gives %(given)s values: give "
                    "each variable one value, in order.",
                    template=template.display_name,
                    count=template.variable_count,
                    placeholders=_placeholders(template.variable_count),
                    given=len(step.whatsapp_param_ids),
                )
            ]
        # Every collection message names its creditor (CDC art. 42-A): in the
        # approved text, or through a variable.
        company = template.company_id or step.ruler_id.company_id or self.env.company
        values = step.whatsapp_param_ids.mapped("value")
        if "creditor" not in values and not company._collection_is_named_in(
            template.body
        ):
            return [
                self.env._(
                    "The template %(template)s does not identify the creditor, as "
                    "the consumer code requires (art. 42-A): give one of its "
                    "variables the value “Creditor: Name, Tax ID and Address”.",
                    template=template.display_name,
                )
            ]
        return []

    @api.model
    def _get_unreachable_reasons(self, events):
        reasons = {}
        for event in events:
            partner = event.move_id.partner_id.sudo()
            customer = partner.display_name
            if partner.collection_whatsapp_opt_out_date:
                reasons[event.id] = self.env._(
                    "%(customer)s opted out of WhatsApp messages.", customer=customer
                )
            elif not partner.collection_whatsapp_opt_in:
                reasons[event.id] = self.env._(
                    "%(customer)s has not agreed to WhatsApp messages.",
                    customer=customer,
                )
            elif not partner.phone_sanitized:
                reasons[event.id] = self.env._(
                    "%(customer)s has no valid mobile number for WhatsApp.",
                    customer=customer,
                )
        return reasons

    @api.model
    def _get_value(self, move, value, lang, links):
        """The text of one template variable for ``move``, in ``lang``."""
        env = self.env
        # A digest's values cover every invoice it lists; an invoice sent
        # alone has its own (collection_ruler_digest.py).
        if value == "amount_due":
            # Meta's variables take plain text: no no-break spaces.
            return format_amount(
                env, move.collection_digest_amount_due, move.currency_id, lang_code=lang
            ).translate(SPACES)
        if value == "due_date":
            return format_date(env, move.invoice_date_due, lang_code=lang)
        if value == "creditor":
            company = move.company_id.with_context(lang=lang)
            return company._collection_get_creditor_line()
        if value == "charges":
            summary = move.with_context(lang=lang).collection_charges_summary
            return summary.translate(SPACES)
        if value == "pay_link":
            url = move.collection_digest_pay_url
            return links.get(url) or url
        return {
            "partner_name": move.partner_id.name,
            "invoice_number": move.collection_digest_names,
            "pix_code": move.collection_digest_pix_code,
            "boleto_line": move.collection_boleto_line,
            "company_name": move.company_id.name,
        }.get(value)

    @api.model
    def _get_no_provider_reason(self):
        return self.env._("No WhatsApp provider is enabled for this company.")

    @api.model
    def _execute_batch(self, events, deadline=None):
        outcomes, events = self._split_unreachable(events)
        if not events:
            return outcomes
        provider = self._get_provider(events.company_id[:1])
        if not provider:
            reason = self._get_no_provider_reason()
            return outcomes | {event.id: Outcome.failed(reason) for event in events}
        links = {}
        if "pay_link" in events.step_id.whatsapp_param_ids.mapped("value"):
            links = self.env["account.move"]._collection_shorten_urls(
                url for url in events.move_id.mapped("collection_digest_pay_url") if url
            )
        Message = self.env["collection.provider.message"].sudo()
        values, queued = [], []
        # A step saved before it had to name the creditor, or whose template
        # Meta no longer approves, sends nothing.
        errors = {step: self._check_step(step) for step in events.step_id}
        for event in events:
            move, step = event.move_id, event.step_id
            if errors[step]:
                outcomes[event.id] = Outcome.failed(errors[step][0])
                continue
            lang = move.partner_id.lang or move.company_id.partner_id.lang
            texts = [
                self._get_value(move, param.value, lang, links)
                for param in step.whatsapp_param_ids
            ]
            if not all(texts):
                labels = dict(VALUES)
                missing = [
                    labels[p.value]
                    for p, text in zip(step.whatsapp_param_ids, texts, strict=True)
                    if not text
                ]
                outcomes[event.id] = Outcome.failed(
                    self.env._(
                        "Nothing to put in the template's %(values)s.",
                        values=", ".join(missing),
                    )
                )
                continue
            key = Message._fields["idempotency_key"].default(Message)
            recipient = move.partner_id.sudo().phone_sanitized.lstrip("+")
            template = step.whatsapp_template_id
            values.append(
                {
                    "provider_id": provider.id,
                    "event_id": event.id,
                    "partner_id": move.partner_id.id,
                    "recipient": recipient,
                    "idempotency_key": key,
                    "payload": whatsapp_cloud.template_payload(
                        recipient, template.name, template.language, texts, key
                    ),
                }
            )
            queued.append(event)
        for event, message in zip(queued, Message.create(values), strict=True):
            outcomes[event.id] = Outcome.done(
                {"provider_message_id": message.id, "delivery_state": "queued"},
                note=self.env._(
                    "Collection step %(step)s: WhatsApp message %(template)s queued "
                    "for %(number)s.",
                    step=event.step_id.name,
                    template=event.step_id.whatsapp_template_id.name,
                    number=message.recipient,
                ),
            )
        return outcomes
