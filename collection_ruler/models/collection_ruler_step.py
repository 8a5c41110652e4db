from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class CollectionRulerStep(models.Model):
    """One contact of a ruler, run a number of days from the due date."""

    _name = "collection.ruler.step"
    _description = "Collection Ruler Step"
    _order = "ruler_id, offset_days, sequence, id"
    _check_company_auto = True

    # === Identification === #
    ruler_id = fields.Many2one(
        comodel_name="collection.ruler",
        string="Ruler",
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
        ],
        required=True,
        default="email",
    )
    mail_template_id = fields.Many2one(
        comodel_name="mail.template",
        string="Email Template",
        domain="[('model', '=', 'account.move')]",
    )
    attach_invoice = fields.Boolean(
        help="Attach the invoice PDF to the email.",
    )
    sms_template_id = fields.Many2one(
        comodel_name="sms.template",
        string="SMS Template",
        domain="[('model', '=', 'account.move')]",
    )
    activity_type_id = fields.Many2one(
        comodel_name="mail.activity.type",
        string="Activity Type",
        default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False
        ),
        domain="[('res_model', 'in', (False, 'account.move'))]",
    )
    activity_summary = fields.Char(string="Summary", translate=True)
    activity_note = fields.Html(string="Call Script", translate=True)
    activity_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Responsible",
        domain="[('share', '=', False)]",
        check_company=True,
        help="Who makes the call. Defaults to the invoice's salesperson.",
    )

    # === Compute methods === #

    @api.depends("offset_days")
    def _compute_offset_label(self):
        for step in self:
            days = step.offset_days
            if days < 0:
                step.offset_label = self.env._(
                    "%(days)s days before due date", days=-days
                )
            elif days > 0:
                step.offset_label = self.env._("%(days)s days late", days=days)
            else:
                step.offset_label = self.env._("On due date")

    # === Constraints === #

    @api.constrains("channel", "mail_template_id", "sms_template_id")
    def _check_channel_template(self):
        for step in self:
            if step.channel == "email" and not step.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Step %(name)s sends an email: choose its email template.",
                        name=step.name,
                    )
                )
            if step.channel == "sms" and not step.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Step %(name)s sends an SMS: choose its SMS template.",
                        name=step.name,
                    )
                )

    # === CRUD === #

    @api.model_create_multi
    def create(self, vals_list):
        steps = super().create(vals_list)
        steps.ruler_id._reschedule_open_invoices()
        return steps

    def write(self, vals):
        rulers = self.ruler_id
        res = super().write(vals)
        if {"offset_days", "active", "ruler_id", "channel", "sequence"} & set(vals):
            (rulers | self.ruler_id)._reschedule_open_invoices()
        return res

    @api.ondelete(at_uninstall=False)
    def _unlink_except_executed(self):
        events = (
            self.env["collection.ruler.event"]
            .sudo()
            .search([("step_id", "in", self.ids)])
        )
        if events.filtered(lambda e: e.state not in ("scheduled", "cancelled")):
            raise UserError(
                self.env._(
                    "A step that has already run keeps its history: archive it "
                    "instead of deleting it."
                )
            )
