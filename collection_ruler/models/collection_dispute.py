"""Disputes: a customer contests an invoice.

A dispute with a reason stops the invoice's collection: its pending steps,
the credit-bureau one included, are cancelled, and a registration already
made is asked for removal (``collection.channel.credit_bureau``). Clearing
the dispute brings the cancelled steps back. Both show in the chatter.
"""

from odoo import api, fields, models

from .collection_channel import one_line


class AccountMove(models.Model):
    _inherit = "account.move"  # pylint: disable=consider-merging-classes-inherited

    collection_dispute_reason = fields.Text(
        string="Dispute",
        copy=False,
        tracking=True,
        help="Why the customer contests this invoice. While it is set, the "
        "invoice is not collected, its credit-bureau step waits, and a "
        "registration already made is asked for removal. Clear it once the "
        "dispute is settled: the ruler resumes.",
    )

    def _collection_get_stop_reason(self):
        reason = super()._collection_get_stop_reason()
        if reason or not (self.collection_dispute_reason or "").strip():
            return reason
        return self._collection_company_lang_env()._(
            "The customer disputes the invoice: %(reason)s",
            reason=one_line(self.collection_dispute_reason),
        )

    @api.model
    def _collection_get_collectible_domain(self):
        return [
            *super()._collection_get_collectible_domain(),
            ("collection_dispute_reason", "in", (False, "")),
        ]
