"""pytest hooks for running this repository's Odoo tests with pytest-odoo."""

import contextlib


def _import_odoo_test_framework():
    """Import ``odoo.tests`` the way Odoo's own test runner does.

    ``odoo.tests.common`` logs an error when it is first imported outside
    Odoo's test mode. pytest-odoo imports it without enabling that mode (which
    would make Odoo run its own tests while loading the registry), so import
    it here first, in test mode; pytest-odoo's configuration then resets the
    flag.
    """
    with contextlib.suppress(ImportError):
        from odoo.tools import config

        previous = config["test_enable"]
        config["test_enable"] = True
        try:
            import odoo.tests.common  # noqa: F401
        finally:
            config["test_enable"] = previous


_import_odoo_test_framework()
