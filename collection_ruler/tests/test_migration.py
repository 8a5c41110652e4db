"""Upgrades: what the migration scripts change in an existing database."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def load_migration(version):
    """The ``migrate`` function of ``migrations/<version>/post-migrate.py``."""
    path = MIGRATIONS / version / "post-migrate.py"
    spec = importlib.util.spec_from_file_location(f"post_migrate_{version}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.migrate


@tagged("post_install", "-at_install")
class TestMigrationSaoPaulo(TransactionCase):
    """18.0.1.5.0 removes São Paulo's 20-day notice period (STF, ADI 5224)."""

    XMLID = "collection_ruler.collection_bureau_notice_period_sp"

    def _shipped_period(self, days):
        """The period as earlier versions installed it, with its xmlid."""
        period = self.env["collection.bureau.notice.period"].create(
            {"state_id": self.env.ref("base.state_br_sp").id, "days": days}
        )
        self.env["ir.model.data"].create(
            {
                "module": "collection_ruler",
                "name": "collection_bureau_notice_period_sp",
                "model": period._name,
                "res_id": period.id,
                "noupdate": True,
            }
        )
        return period

    def test_no_state_period_ships(self):
        self.assertFalse(self.env.ref(self.XMLID, raise_if_not_found=False))

    def test_the_shipped_period_is_removed(self):
        period = self._shipped_period(20)
        load_migration("18.0.1.5.0")(self.env.cr, "18.0.1.4.0")
        self.env.invalidate_all()
        self.assertFalse(period.exists())
        self.assertFalse(self.env.ref(self.XMLID, raise_if_not_found=False))

    def test_a_period_a_user_changed_is_kept(self):
        period = self._shipped_period(30)
        load_migration("18.0.1.5.0")(self.env.cr, "18.0.1.4.0")
        self.env.invalidate_all()
        self.assertEqual(period.days, 30)
