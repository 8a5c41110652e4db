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
    collection_ruler_preview = fields.Html(
        string="What the New Default Ruler Changes",
        compute="_compute_collection_ruler_preview",
        sanitize=False,
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

    @api.depends("company_id", "collection_ruler_id")
    def _compute_collection_ruler_preview(self):
        # Before Save: what Apply Collection Ruler would preview for the
        # invoices that follow the company's default.
        Apply = self.env["collection.ruler.apply"]
        for settings in self:
            company = settings.company_id
            if settings.collection_ruler_id == company.collection_ruler_id:
                settings.collection_ruler_preview = False
                continue
            settings.collection_ruler_preview = Apply.new(
                {
                    "company_id": company.id,
                    "ruler_id": settings.collection_ruler_id.id,
                }
            ).preview
