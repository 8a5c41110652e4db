import re
from contextlib import contextmanager
from urllib.parse import urlsplit

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import provider_http

# A phone number in E.164: a plus sign, then 8 to 15 digits.
E164 = re.compile(r"\+[1-9]\d{7,14}")


class CollectionProvider(models.Model):
    """A service that carries messages the ERP cannot send by itself.

    In the manner of ``payment.provider``: one record per account, a ``code``
    per service (open to ``selection_add``), and a state. *Disabled* sends
    nothing; *Test* records each message and simulates its delivery, so that
    no message leaves Odoo (*Test Connection* and a template sync still ask
    the service, to check the credentials before going live); *Enabled*
    calls the service. Credentials are readable only by administrators.

    A provider's code ``<code>`` implements ``_<code>_send(message)``, which
    returns the service's id for the message; ``_<code>_default_url()``, the
    base URL of its API, which the system parameter
    ``collection_ruler.<code>_url`` overrides (a staging server, or a test's
    fake server); ``_<code>_service_name()``, the service as a person knows
    it (Meta, Twilio...); and ``_<code>_test_connection()``, which asks the
    service about the account without sending anything and returns what
    names it (a number, an account name).
    """

    _name = "collection.provider"
    _description = "Collection Provider"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    # Each provider's module adds its code (``selection_add``).
    code = fields.Selection(selection=[], required=True)
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

    @api.depends("message_ids")
    def _compute_message_count(self):
        counts = dict(
            self.env["collection.provider.message"]._read_group(
                [("provider_id", "in", self.ids)], ["provider_id"], ["__count"]
            )
        )
        for provider in self:
            provider.message_count = counts.get(provider, 0)

    # === Constraints === #

    def _check_phone_numbers(self, fnames):
        """Raise unless each of ``fnames`` is empty or in E.164, as their
        help says: Twilio and Zenvia take no other form.

        :param list fnames: the names of phone number fields of this model
        :raises ValidationError: a number that is not in E.164
        """
        for provider in self:
            for fname in fnames:
                number = provider[fname]
                if number and not E164.fullmatch(number):
                    raise ValidationError(
                        self.env._(
                            "%(field)s must be in E.164 format: a + followed by 8 "
                            "to 15 digits, without spaces or dashes (such as "
                            "+551140040000), not “%(number)s”.",
                            field=self._fields[fname]._description_string(self.env),
                            number=number,
                        )
                    )

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

    def _get_service_name(self):
        """The service as a person knows it, for the messages they read."""
        self.ensure_one()
        return getattr(self, f"_{self.code}_service_name")()

    @contextmanager
    def _readable_errors(self):
        """Turn a failed call to the service into a one-line ``UserError``,
        for the buttons a person presses (the queue retries on its own).

        :raises UserError: the service could not be reached, did not answer,
            or refused the request
        """
        self.ensure_one()
        service = self._get_service_name()
        try:
            yield
        except provider_http.ProviderUnreachableError as error:
            raise UserError(
                self.env._(
                    "Could not reach %(service)s (%(host)s): check the network and "
                    "try again.",
                    service=service,
                    host=urlsplit(self._get_url()).netloc,
                )
            ) from error
        except provider_http.ProviderTransientError as error:
            raise UserError(
                self.env._(
                    "%(service)s could not answer right now (%(reason)s): try "
                    "again in a few minutes.",
                    service=service,
                    reason=error,
                )
            ) from error
        except provider_http.ProviderError as error:
            raise UserError(
                self.env._(
                    "%(service)s refused the request: %(reason)s",
                    service=service,
                    reason=error,
                )
            ) from error

    def _check_credentials(self, fnames):
        """Raise unless the credentials ``fnames`` are filled in.

        :raises UserError: naming the empty ones
        """
        self.ensure_one()
        missing = [
            self._fields[fname]._description_string(self.env)
            for fname in fnames
            if not self.sudo()[fname]
        ]
        if missing:
            raise UserError(
                self.env._(
                    "Fill in %(fields)s on the Credentials tab first.",
                    fields=", ".join(missing),
                )
            )

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

    # === Actions === #

    def action_test_connection(self):
        """Ask the service about the account, sending nothing: in any state,
        so that the credentials are checked before the provider is enabled.

        :return: a notification naming the account
        :raises UserError: a missing credential, or the service's error
        """
        self.ensure_one()
        provider = self.sudo()
        with provider._readable_errors():
            account = getattr(provider, f"_{self.code}_test_connection")()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "Connected to %(service)s: %(account)s.",
                    service=provider._get_service_name(),
                    account=account,
                ),
                "sticky": False,
            },
        }

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "collection_ruler.collection_provider_message_action"
        )
        action["domain"] = [("provider_id", "=", self.id)]
        return action
