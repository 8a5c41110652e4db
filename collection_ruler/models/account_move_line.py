from odoo import models


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def write(self, vals):
        res = super().write(vals)
        if "date_maturity" in vals:
            # A due date moved on a posted invoice's receivable line (from the
            # Journal Items tab) moves its collection schedule at once: Odoo
            # does not update the invoice's own due date then.
            moves = self.move_id.filtered(
                lambda m: m.move_type == "out_invoice" and m.state == "posted"
            )
            moves._collection_sync_events()
        return res
