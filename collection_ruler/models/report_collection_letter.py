from odoo import api, models


class ReportCollectionLetter(models.AbstractModel):
    """Values of a collection letter, computed before the QWeb rendering.

    Computing them here rather than in the template lets a letter that cannot
    be printed (nothing overdue, for example) stop with a plain error message.
    """

    _name = "report.collection_ruler.letter"
    _description = "Collection Letter Report"
    _letter_type = None

    @api.model
    def _get_report_values(self, docids, data=None):
        moves = self.env["account.move"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "account.move",
            "docs": moves,
            "letters": {
                move.id: move._collection_get_letter_values(self._letter_type)
                for move in moves
            },
        }


class ReportCollectionDebitNotice(models.AbstractModel):
    _name = "report.collection_ruler.report_debit_notice"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Debit Notice"
    _letter_type = "debit_notice"


class ReportCollectionNejLight(models.AbstractModel):
    _name = "report.collection_ruler.report_nej_light"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Extrajudicial Notice, Light"
    _letter_type = "nej_light"


class ReportCollectionNejModerate(models.AbstractModel):
    _name = "report.collection_ruler.report_nej_moderate"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Extrajudicial Notice, Moderate"
    _letter_type = "nej_moderate"


class ReportCollectionNejHeavy(models.AbstractModel):
    _name = "report.collection_ruler.report_nej_heavy"
    _inherit = "report.collection_ruler.letter"
    _description = "Collection Letter: Extrajudicial Notice, Heavy"
    _letter_type = "nej_heavy"
