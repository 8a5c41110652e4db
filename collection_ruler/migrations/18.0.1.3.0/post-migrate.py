"""The collection run of databases that upgrade: hourly.

Contact hours open at 8:00 in the debtor's time: a daily run at whatever hour
would send outside them, or a day late. The scheduled action is
``noupdate``, so an upgrade leaves it daily; a run that a user moved to
another interval is left as they set it.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("collection_ruler.ir_cron_collection_ruler_run", False)
    if cron and (cron.interval_number, cron.interval_type) == (1, "days"):
        cron.write({"interval_type": "hours"})
        _logger.info("Collection run: now hourly, for the contact hours")
