"""Keep the letters and the credit bureau off on databases that upgrade.

New installs get the standard ruler with its letter and credit-bureau steps
active. A database upgrading from 18.0.1.0.x gets the same steps, but
inactive: activated at once, they would mail debit notices for every old
overdue invoice at the next run and queue credit-bureau registrations nobody
asked for. A Collection Manager activates them on the ruler when ready.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)

NEW_STEPS = (
    "collection_ruler_step_debit_notice",
    "collection_ruler_step_nej_light",
    "collection_ruler_step_nej_moderate",
    "collection_ruler_step_credit_bureau",
    "collection_ruler_step_nej_heavy",
)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    steps = env["collection.ruler.step"].with_context(active_test=False)
    for xmlid in NEW_STEPS:
        steps |= env.ref(f"collection_ruler.{xmlid}", raise_if_not_found=False) or (
            steps.browse()
        )
    steps = steps.filtered("active")
    if steps:
        steps.write({"active": False})
        _logger.info(
            "Collection Ruler: new standard steps added inactive: %s",
            ", ".join(steps.mapped("name")),
        )
