"""Upgrades: what the migration scripts change in an existing database."""

import importlib.util
from pathlib import Path

from odoo.tests import TransactionCase, tagged

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def load_migration(version, stage="post"):
    """The ``migrate`` function of ``migrations/<version>/<stage>-migrate.py``."""
    path = MIGRATIONS / version / f"{stage}-migrate.py"
    spec = importlib.util.spec_from_file_location(f"{stage}_migrate_{version}", path)
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


@tagged("post_install", "-at_install")
class TestMigrationVoiceBridge(TransactionCase):
    """18.0.1.7.0 moves recorded calls to collection_ruler_voice: what the
    bridge owns changes owner before collection_ruler loads, and the bridge
    loads in the same run (the whole upgrade of a 18.0.1.6.0 database is
    described in the README)."""

    def _bridge(self):
        return self.env["ir.module.module"].search(
            [("name", "=", "collection_ruler_voice")]
        )

    def _owner(self, name):
        self.env.cr.execute(
            "SELECT module FROM ir_model_data WHERE name = %s "
            "AND module LIKE 'collection_ruler%%'",
            [name],
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _as_in_18_0_1_6_0(self, names):
        """The bridge not installed, and ``names`` owned by collection_ruler."""
        self.env.cr.execute(
            "UPDATE ir_module_module SET state = 'uninstalled', demo = False "
            "WHERE name = 'collection_ruler_voice'"
        )
        self.env.cr.execute(
            "UPDATE ir_model_data SET module = 'collection_ruler' "
            "WHERE module = 'collection_ruler_voice' AND name = ANY(%s)",
            [names],
        )

    def test_the_bridge_takes_what_it_owns_and_loads(self):
        moved = [
            "contact_window_sp_voice",
            "field_collection_ruler_step__voice_script",
            "selection__collection_ruler_step__channel__voice",
            "field_collection_provider__twilio_auth_token",
        ]
        self._as_in_18_0_1_6_0(moved)
        self.assertEqual(self._owner("contact_window_sp_voice"), ["collection_ruler"])
        load_migration("18.0.1.7.0", "pre")(self.env.cr, "18.0.1.6.0")
        for name in moved:
            self.assertEqual(self._owner(name), ["collection_ruler_voice"], name)
        # What collection_ruler itself still defines stays its own.
        self.assertIn("collection_ruler", self._owner("model_collection_ruler_step"))
        self.assertIn(
            "collection_ruler", self._owner("field_collection_ruler_step__channel")
        )
        self.env.invalidate_all()
        bridge = self._bridge()
        self.assertEqual(bridge.state, "to upgrade", "loads in the same run")
        core = self.env["ir.module.module"].search([("name", "=", "collection_ruler")])
        self.assertEqual(bridge.demo, core.demo)

    def test_an_installed_bridge_is_left_alone(self):
        self.assertEqual(self._bridge().state, "installed")
        load_migration("18.0.1.7.0", "pre")(self.env.cr, "18.0.1.6.0")
        self.env.invalidate_all()
        self.assertEqual(self._bridge().state, "installed")
        self.assertEqual(
            self._owner("contact_window_sp_voice"), ["collection_ruler_voice"]
        )

    def test_without_the_bridge_code_the_upgrade_stops(self):
        self.env.cr.execute(
            "UPDATE ir_module_module SET name = 'collection_ruler_voice_gone' "
            "WHERE name = 'collection_ruler_voice'"
        )
        with self.assertRaisesRegex(RuntimeError, "needs the module"):
            load_migration("18.0.1.7.0", "pre")(self.env.cr, "18.0.1.6.0")
