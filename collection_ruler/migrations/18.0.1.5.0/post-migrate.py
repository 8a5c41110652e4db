"""Remove São Paulo's 20-day notice period before a credit-bureau registration.

Earlier versions shipped it as data. It is no longer law: the STF struck
down the waiting period of SP Lei 15.659/2015, as worded by Lei
16.624/2017, in ADIs 5224, 5252, 5273 and 5978 (judged together, ruling of
9 March 2022): civil law is the Union's to make (CF art. 22, I). A period a
user changed (other days, or another state) is theirs, and is kept.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

SHIPPED_DAYS = 20


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    period = env.ref("collection_ruler.collection_bureau_notice_period_sp", False)
    if not period:
        return
    if period.days == SHIPPED_DAYS and period.state_id == env.ref("base.state_br_sp"):
        period.unlink()
        _logger.info(
            "Collection: São Paulo's 20-day notice period removed (STF, ADI 5224)"
        )
    else:
        _logger.info("Collection: São Paulo's notice period kept, as a user changed it")
