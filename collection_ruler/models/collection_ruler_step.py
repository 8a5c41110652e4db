from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .collection_channel import channel_selection


class CollectionRulerStep(models.Model):
    """One contact of a ruler, run a number of days from the due date."""

    _name = "collection.ruler.step"
    _description = "Collection Ruler Step"
    _order = "ruler_id, offset_days, sequence, id"
    _check_company_auto = True

    # === Identification === #
    ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        required=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(related="ruler_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)

    # === Timing === #
    offset_days = fields.Integer(
        string="Offset (days)",
        help="Days relative to the due date: -3 runs three days before it, "
        "0 on the due date and 7 seven days after it.",
    )
    offset_label = fields.Char(string="When", compute="_compute_offset_label")

    # === Channel === #
    channel = fields.Selection(
        selection=[
            ("email", "Email"),
            ("sms", "SMS"),
            ("call", "Call"),
            ("letter", "Letter"),
            ("credit_bureau", "Credit Bureau"),
        ],
        required=True,
        default="email",
    )
    mail_template_id = fields.Many2one(
        comodel_name="mail.template",
        string="Email Template",
        domain="[('model', '=', 'account.move')]",
    )
    mail_template_individual_id = fields.Many2one(
        comodel_name="mail.template",
        string="Email Template for Individuals",
        domain="[('model', '=', 'account.move')]",
        help="Sent instead to debtors who are individuals (CPF). Empty: the "
        "step's template for everyone.",
    )
    letter_type = fields.Selection(
        selection=[
            ("debit_notice", "Debit Notice"),
            ("nej_light", "Extrajudicial Notice, Light"),
            ("nej_moderate", "Extrajudicial Notice, Moderate"),
            ("nej_heavy", "Extrajudicial Notice, Heavy"),
        ],
        string="Letter",
        help="The letter printed for the customer. A credit-bureau step needs a "
        "debit notice sent earlier.",
    )
    letter_send_email = fields.Boolean(
        string="Email the Letter",
        default=True,
        help="Email the letter with the step's email template when the customer "
        "has an email address; otherwise it waits to be printed.",
    )
    deadline_days = fields.Integer(
        string="Deadline (days)",
        default=10,
        help="The letter gives the customer this many days to pay. A debit "
        "notice never gives less than the credit-bureau notice period of the "
        "customer's state.",
    )
    bureau = fields.Selection(
        selection=[
            ("serasa", "Serasa Experian"),
            ("spc", "SPC Brasil"),
            ("boa_vista", "Boa Vista SCPC"),
            ("other", "Other"),
        ],
        string="Credit Bureau",
    )
    attach_invoice = fields.Boolean(
        help="Attach the invoice PDF to the email.",
    )
    sms_template_id = fields.Many2one(
        comodel_name="sms.template",
        string="SMS Template",
        domain="[('model', '=', 'account.move')]",
    )
    sms_template_individual_id = fields.Many2one(
        comodel_name="sms.template",
        string="SMS Template for Individuals",
        domain="[('model', '=', 'account.move')]",
        help="Sent instead to debtors who are individuals (CPF). Empty: the "
        "step's template for everyone.",
    )
    sms_gsm7 = fields.Boolean(
        string="SMS Without Accents",
        default=True,
        help="Letters the SMS alphabet (GSM-7) lacks, such as ã, ç or á, are "
        "sent without their accent, so that 160 characters cost one segment. "
        "Untick to keep them: the SMS then goes in UCS-2, 70 characters a "
        "segment.",
    )
    sms_segment_info = fields.Char(
        string="SMS Length",
        compute="_compute_sms_segment_info",
        help="The SMS as the latest posted invoice would get it, its pay link "
        "shortened: how many segments it is billed as.",
    )
    channel_warning = fields.Char(
        compute="_compute_channel_warning",
        help="What looks wrong in the step's settings for its channel, though "
        "it can run.",
    )
    activity_type_id = fields.Many2one(
        comodel_name="mail.activity.type",
        domain="[('res_model', 'in', (False, 'account.move'))]",
    )
    activity_summary = fields.Char(string="Summary", translate=True)
    activity_note = fields.Html(string="Call Script", translate=True)
    activity_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        check_company=True,
        help="The collector in charge of this step: who makes its calls, signs "
        "its emails and is asked to reconcile payments. Empty: calls go to the "
        "invoice's salesperson and emails come from the company.",
    )

    # === Compute methods === #

    @api.depends("sms_template_id", "sms_template_id.body", "sms_gsm7", "channel")
    def _compute_sms_segment_info(self):
        for step in self:
            step.sms_segment_info = step._get_channel()._get_length_info(step)

    @api.depends("channel", "letter_type", "letter_send_email", "mail_template_id")
    def _compute_channel_warning(self):
        for step in self:
            step.channel_warning = step._get_channel()._get_step_warning(step)

    @api.depends("offset_days", "on_broken_promise")
    def _compute_offset_label(self):
        for step in self:
            days = step.offset_days
            if step.on_broken_promise:
                step.offset_label = self.env._("On a broken promise")
            elif days == -1:
                step.offset_label = self.env._("1 day before due date")
            elif days < 0:
                step.offset_label = self.env._(
                    "%(days)s days before due date", days=-days
                )
            elif days == 1:
                step.offset_label = self.env._("1 day late")
            elif days > 0:
                step.offset_label = self.env._("%(days)s days late", days=days)
            else:
                step.offset_label = self.env._("On due date")

    # === Constraints === #

    @api.constrains("deadline_days")
    def _check_deadline_days(self):
        if any(step.deadline_days < 1 for step in self):
            raise ValidationError(
                self.env._("A letter gives the customer at least one day to pay.")
            )

    @api.constrains(
        "channel",
        "mail_template_id",
        "sms_template_id",
        "letter_type",
        "letter_send_email",
        "bureau",
        "activity_type_id",
    )
    def _check_channel_settings(self):
        # A channel that adds settings to the step checks them from its own
        # module, with a constraint of its own calling this one.
        for step in self:
            errors = step._get_channel()._check_step(step)
            if errors:
                raise ValidationError("\n".join(errors))

    @api.onchange("channel")
    def _onchange_channel(self):
        """A new channel replaces the previous channel's defaults with its own:
        a step changed from Email to Letter gets the letter's email template,
        not the due-date reminder; one changed to WhatsApp keeps no email
        template at all."""
        codes = [code for code, _label in channel_selection(self)]
        for step in self:
            defaults = step._get_channel()._get_step_defaults()
            for code in codes:
                for fname in self.env[
                    f"collection.channel.{code}"
                ]._get_step_defaults():
                    if fname not in defaults:
                        step[fname] = False
            step.update(defaults)

    # === Business methods === #

    def _get_channel(self):
        """The ``collection.channel.<code>`` model of this step's channel."""
        self.ensure_one()
        return self.env[f"collection.channel.{self.channel}"]

    def _get_template(self, kind, move):
        """The ``kind`` (mail or sms) template of this step for ``move``'s
        debtor: the one for individuals when the step has one and the debtor
        is an individual, else the step's."""
        self.ensure_one()
        individual = self[f"{kind}_template_individual_id"]
        if individual and move.commercial_partner_id._collection_is_individual():
            return individual
        return self[f"{kind}_template_id"]

    # === CRUD === #

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
        # A new step gets its channel's defaults (the module's own template
        # for its channel, for example) for the settings it leaves out.
        channel_default = self._fields["channel"].default(self)
        for vals in vals_list:
            channel = vals.get("channel") or channel_default
            defaults = self.env[f"collection.channel.{channel}"]._get_step_defaults()
            for fname, value in defaults.items():
                vals.setdefault(fname, value)
        steps = super().create(vals_list)
        steps.ruler_id._reschedule_open_invoices()
        return steps

    def write(self, vals):
        rulers = self.ruler_id
        res = super().write(vals)
        if {"offset_days", "active", "ruler_id", "channel", "sequence"} & set(vals):
            (rulers | self.ruler_id)._reschedule_open_invoices()
        # A fallback follows its step's ruler, day and place.
        if {"ruler_id", "offset_days", "sequence"} & set(vals):
            for step in self.filtered("fallback_step_ids"):
                step.fallback_step_ids.write(
                    {
                        "ruler_id": step.ruler_id.id,
                        "offset_days": step.offset_days,
                        "sequence": step.sequence,
                    }
                )
        if vals.get("on_broken_promise"):
            # Scheduled at its offset until now: it waits for a broken promise.
            events = (
                self.env["collection.ruler.event"]
                .sudo()
                .search([("step_id", "in", self.ids), ("state", "=", "scheduled")])
            )
            for company, company_events in events.grouped("company_id").items():
                env = self.with_context(lang=company._collection_get_lang()).env
                company_events.write(
                    {
                        "state": "cancelled",
                        "failure_reason": env._(
                            "The step runs on a broken promise only."
                        ),
                    }
                )
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_executed(self):
        events = (
            self.env["collection.ruler.event"]
            .sudo()
            .search([("step_id", "in", (self | self.fallback_step_ids).ids)])
        )
        if events.filtered(lambda e: e.state not in ("scheduled", "cancelled")):
            raise UserError(
                self.env._(
                    "A step that has already run keeps its history: archive it "
                    "instead of deleting it."
                )
            )

    # ----------------------------------------------------------------------
    # Fallback
    # ----------------------------------------------------------------------

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
            if not step._get_channel()._may_be_fallback:
                raise ValidationError(
                    self.env._(
                        "A %(channel)s step is never a fallback.",
                        channel=dict(
                            self._fields["channel"]._description_selection(self.env)
                        )[step.channel],
                    )
                )

    # ----------------------------------------------------------------------
    # Promises
    # ----------------------------------------------------------------------

    on_broken_promise = fields.Boolean(
        string="Runs on a Broken Promise",
        help="Not run at its offset: it runs the day a promise to pay of the "
        "invoice is found broken.",
    )

    # ----------------------------------------------------------------------
    # Proof of notice
    # ----------------------------------------------------------------------

    serves_as_debit_notice = fields.Boolean(
        string="Serves as Debit Notice",
        compute="_compute_serves_as_debit_notice",
        store=True,
        readonly=False,
        help="The message of this step is the written notice that comes before "
        "a credit-bureau registration. A debit-notice letter always is.",
    )

    @api.depends("channel", "letter_type")
    def _compute_serves_as_debit_notice(self):
        for step in self:
            serves = step._get_channel()._get_serves_as_debit_notice(step)
            if serves is not None:
                step.serves_as_debit_notice = serves

    # ----------------------------------------------------------------------
    # Forbidden wording
    # ----------------------------------------------------------------------

    @api.constrains(
        "channel",
        "mail_template_id",
        "mail_template_individual_id",
        "sms_template_id",
        "sms_template_individual_id",
        "letter_send_email",
        "activity_note",
    )
    def _check_collection_wording(self):
        # What a step says is checked as if its templates were saved, on
        # every channel: the channel says what its steps say. A channel that
        # adds settings to the step checks them with a constraint of its own
        # calling this one.
        Expression = self.env["collection.forbidden.expression"]
        for step in self:
            for name, texts in step._get_channel()._get_message_texts(step):
                Expression._check_texts(name, texts)
