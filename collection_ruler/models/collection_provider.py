from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import whatsapp_cloud


class CollectionProvider(models.Model):
    """A service that carries messages the ERP cannot send by itself.

    In the manner of ``payment.provider``: one record per account, a ``code``
    per service (open to ``selection_add``), and a state. *Disabled* sends
    nothing; *Test* records each message and simulates its delivery, so that
    nothing leaves Odoo; *Enabled* calls the service. Credentials are
    readable only by administrators.

    A provider's code ``<code>`` implements ``_<code>_send(message)``, which
    returns the service's id for the message, and ``_<code>_default_url()``,
    the base URL of its API, which the system parameter
    ``collection_ruler.<code>_url`` overrides (a staging server, or a test's
    fake server).
    """

    _name = "collection.provider"
    _description = "Collection Provider"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection(
        selection=[("whatsapp_cloud", "WhatsApp Cloud API (Meta)")],
        required=True,
        default="whatsapp_cloud",
    )
    state = fields.Selection(
        selection=[("disabled", "Disabled"), ("test", "Test"), ("enabled", "Enabled")],
        required=True,
        default="disabled",
        copy=False,
        help="Test: messages are recorded and their delivery simulated; nothing "
        "leaves Odoo. Enabled: messages go to the provider.",
    )
    company_id = fields.Many2one(
        comodel_name="res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
    )
    message_ids = fields.One2many(
        comodel_name="collection.provider.message", inverse_name="provider_id"
    )
    message_count = fields.Integer(compute="_compute_message_count")

    # === WhatsApp Cloud API === #
    whatsapp_phone_number_id = fields.Char(
        string="Phone Number ID",
        groups="base.group_system",
        help="Meta's id of the business phone number that sends the messages "
        "(WhatsApp Manager, API Setup).",
    )
    whatsapp_account_id = fields.Char(
        string="WhatsApp Business Account ID",
        groups="base.group_system",
        help="Meta's id of the business account whose templates steps use.",
    )
    whatsapp_access_token = fields.Char(
        string="Access Token",
        groups="base.group_system",
        copy=False,
        help="A system user's permanent token with the whatsapp_business_messaging "
        "and whatsapp_business_management permissions.",
    )
    whatsapp_app_secret = fields.Char(
        string="App Secret",
        groups="base.group_system",
        copy=False,
        help="The Meta app's secret, which signs the webhooks Odoo receives.",
    )
    whatsapp_verify_token = fields.Char(
        string="Webhook Verify Token",
        groups="base.group_system",
        copy=False,
        help="Any secret text, entered in Meta's webhook settings too.",
    )

    @api.depends("message_ids")
    def _compute_message_count(self):
        counts = dict(
            self.env["collection.provider.message"]._read_group(
                [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
            )
        )
        for provider in self:
            provider.message_count = counts.get(provider, 0)

    # === Sending === #

    @api.model
    def _get_active(self, code, company):
        """The provider of ``code`` (or of one of the codes of a tuple) that
        sends for ``company`` (enabled or in test), or an empty recordset."""
        codes = (code,) if isinstance(code, str) else tuple(code)
        return self.sudo().search(
            [
                ("code", "in", codes),
                ("state", "in", ("test", "enabled")),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )

    def _get_url(self):
        """The base URL of the service's API."""
        self.ensure_one()
        url = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(f"collection_ruler.{self.code}_url")
        )
        return url or getattr(self, f"_{self.code}_default_url")()

    def _whatsapp_cloud_default_url(self):
        return whatsapp_cloud.GRAPH_URL

    def _send(self, message):
        """Send ``message`` through the service, or simulate it in test.

        :return: the service's id of the message
        :raises ProviderTransientError: retry later
        :raises ProviderError: the service refused the message for good
        """
        self.ensure_one()
        if self.state == "test":
            return f"test-{message.idempotency_key}"
        if self.state != "enabled":
            raise UserError(
                self.env._("The provider %(name)s is disabled.", name=self.name)
            )
        return getattr(self.sudo(), f"_{self.code}_send")(message)

    def _whatsapp_cloud_send(self, message):
        client = whatsapp_cloud.WhatsAppCloud(
            self.whatsapp_phone_number_id, self.whatsapp_access_token, self._get_url()
        )
        return client.send(message.payload)

    # === Actions === #

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collection_ruler.collection_provider_message_action"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        return action
