from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_ruler_id = fields.Many2one(
        related="company_id.collection_ruler_id",
        readonly=False,
    )
    collection_bureau_notice_days = fields.Integer(
        related="company_id.collection_bureau_notice_days",
        readonly=False,
    )
    collection_letter_post_days = fields.Integer(
        related="company_id.collection_letter_post_days", readonly=False
    )
    collection_notice_accept_queued = fields.Boolean(
        related="company_id.collection_notice_accept_queued", readonly=False
    )
    collection_notice_proof_days = fields.Integer(
        related="company_id.collection_notice_proof_days", readonly=False
    )
    collection_open_invoice_count = fields.Integer(
        compute="_compute_collection_open_invoice_count",
    )
    collection_unruled_invoice_count = fields.Integer(
        compute="_compute_collection_open_invoice_count",
    )
    collection_backfill_pending = fields.Boolean(
        compute="_compute_collection_open_invoice_count",
    )

    @api.depends("company_id")
    def _compute_collection_open_invoice_count(self):
        Move = self.env["account.move"]
        pending = self.env["collection.ruler.backfill"]._is_pending()
        for settings in self:
            domain = [
                *Move._collection_get_collectible_domain(),
                ("company_id", "=", settings.company_id.id),
            ]
            settings.collection_open_invoice_count = Move.search_count(
                [*domain, ("collection_ruler_id", "!=", False)]
            )
            settings.collection_unruled_invoice_count = Move.search_count(
                [*domain, ("collection_ruler_id", "=", False)]
            )
            settings.collection_backfill_pending = pending
