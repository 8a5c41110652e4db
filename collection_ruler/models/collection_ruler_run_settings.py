import logging

from odoo import api, models
from odoo.tools import config

_logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 200


class CollectionRulerRun(models.Model):
    """The settings of a run, from system parameters: how many invoices a
    batch takes, and how long a run may go on before leaving the rest to a
    new cron call."""

    _inherit = "collection.ruler.run"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _get_param(self, name):
        return (
            self.env["ir.config_parameter"].sudo().get_param(f"collection_ruler.{name}")
        )

    @api.model
    def _get_batch_size(self):
        """Customers per batch: ``collection_ruler.batch_size`` (default 200)."""
        value = self._get_param("batch_size")
        try:
            return max(int(value), 1) if value else DEFAULT_BATCH_SIZE
        except ValueError:
            return DEFAULT_BATCH_SIZE

    @api.model
    def _get_time_budget(self):
        """Seconds a run may spend before leaving the rest to a new cron call:
        ``collection_ruler.time_budget`` (0: none), else half the workers'
        real-time limit for crons, so that a slow batch never gets the worker
        killed. :return: a number of seconds, or None for no budget
        """
        value = self._get_param("time_budget")
        if value not in (None, False, ""):
            try:
                return max(int(value), 0) or None
            except ValueError:
                _logger.warning("Ignoring collection_ruler.time_budget=%r", value)
        limit = config.get("limit_time_real_cron")
        if limit is None or limit < 0:
            limit = config.get("limit_time_real")
        return limit / 2 if limit and limit > 0 else None
