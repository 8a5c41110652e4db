import re

from odoo import api, fields, models

from ..tools import whatsapp_cloud

VARIABLE = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class CollectionWhatsAppTemplate(models.Model):
    """A message template of a WhatsApp business account, as Meta has it.

    Templates are written and approved in Meta's WhatsApp Manager; Odoo
    syncs them (*Sync Templates* on the provider). A step may use only an
    approved template of the utility category: Meta bills and reviews
    collection reminders as utility messages.
    """

    _name = "collection.whatsapp.template"
    _description = "WhatsApp Message Template"
    _order = "name, language"

    provider_id = fields.Many2one(
        comodel_name="collection.provider", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="provider_id.company_id", store=True)
    name = fields.Char(required=True, readonly=True)
    language = fields.Char(required=True, readonly=True)
    status = fields.Selection(
        selection=[
            ("APPROVED", "Approved"),
            ("PENDING", "Pending"),
            ("REJECTED", "Rejected"),
            ("PAUSED", "Paused"),
            ("DISABLED", "Disabled"),
            ("IN_APPEAL", "In Appeal"),
        ],
        readonly=True,
    )
    category = fields.Selection(
        selection=[
            ("UTILITY", "Utility"),
            ("MARKETING", "Marketing"),
            ("AUTHENTICATION", "Authentication"),
        ],
        readonly=True,
    )
    body = fields.Text(readonly=True, help="The body, with its {{1}} variables.")
    variable_count = fields.Integer(compute="_compute_variable_count", store=True)
    usable = fields.Boolean(
        compute="_compute_variable_count",
        store=True,
        help="Approved, in the utility category: a step may use it.",
    )

    _sql_constraints = [
        (
            "name_language_unique",
            "UNIQUE(provider_id, name, language)",
            "A template exists once per provider and language.",
        )
    ]

    @api.depends("body", "status", "category")
    def _compute_variable_count(self):
        for template in self:
            numbers = {int(n) for n in VARIABLE.findall(template.body or "")}
            template.variable_count = max(numbers, default=0)
            template.usable = (
                template.status == "APPROVED" and template.category == "UTILITY"
            )

    @api.depends("name", "language")
    def _compute_display_name(self):
        for template in self:
            template.display_name = f"{template.name} ({template.language})"

    @api.model
    def _sync(self, provider):
        """Create or update ``provider``'s templates from its business account;
        templates deleted at Meta are removed unless a step uses them."""
        client = whatsapp_cloud.WhatsAppCloud(
            provider.whatsapp_phone_number_id,
            provider.whatsapp_access_token,
            provider._get_url(),
        )
        remote = client.list_templates(provider.whatsapp_account_id)
        existing = {
            (t.name, t.language): t
            for t in self.search([("provider_id", "=", provider.id)])
        }
        statuses = dict(self._fields["status"].selection)
        categories = dict(self._fields["category"].selection)
        seen, to_create = set(), []
        for data in remote:
            key = (data.get("name"), data.get("language"))
            body = next(
                (
                    c.get("text")
                    for c in data.get("components") or []
                    if c.get("type") == "BODY"
                ),
                "",
            )
            values = {
                "status": data.get("status")
                if data.get("status") in statuses
                else False,
                "category": data.get("category")
                if data.get("category") in categories
                else False,
                "body": body,
            }
            seen.add(key)
            if key in existing:
                existing[key].write(values)
            else:
                to_create.append(
                    {"provider_id": provider.id, "name": key[0], "language": key[1]}
                    | values
                )
        self.create(to_create)
        gone = self.browse([t.id for key, t in existing.items() if key not in seen])
        used = (
            self.env["collection.ruler.step"]
            .search([("whatsapp_template_id", "in", gone.ids)])
            .whatsapp_template_id
        )
        (gone - used).unlink()
        (gone & used).write({"status": "DISABLED"})
        return len(remote)
