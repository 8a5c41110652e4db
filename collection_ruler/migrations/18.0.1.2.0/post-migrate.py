"""The collection emails of databases that upgrade: the company as sender,
and the collection layout.

The email templates are ``noupdate``: an upgrade leaves them as they were.
Their old sender was the invoice's salesperson, who is OdooBot for invoices
made by a scheduled action or an import. Templates whose sender a user has
not changed get the new one and the collection layout; the others are left
as their user made them.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

OLD_EMAIL_FROM = (
    "{{ (object.invoice_user_id.email_formatted or "
    "object.company_id.email_formatted or user.email_formatted) }}"
)
TEMPLATES = (
    "mail_template_collection_before_due",
    "mail_template_collection_due_today",
    "mail_template_collection_letter",
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    templates = env["mail.template"].with_context(active_test=False)
    for xmlid in TEMPLATES:
        templates |= env.ref(f"collection_ruler.{xmlid}", raise_if_not_found=False) or (
            templates.browse()
        )
    templates = templates.filtered(lambda t: t.email_from == OLD_EMAIL_FROM)
    if templates:
        templates.write(
            {
                "email_from": "{{ object.company_id.collection_email_from }}",
                "email_layout_xmlid": "collection_ruler.mail_layout_collection",
            }
        )
        _logger.info(
            "Collection Ruler: %s email templates now send from the company",
            len(templates),
        )
