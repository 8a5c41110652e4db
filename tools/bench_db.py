"""Databases of ``tools/benchmark.py``: copies of a template, all dropped."""

import contextlib
import sys
from contextlib import closing
from pathlib import Path
from shutil import copytree, rmtree

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.service.db import _drop_conn
from odoo.tools import SQL


class Databases:
    """Create databases by copy and drop every one of them at the end."""

    def __init__(self):
        self.created = []

    def _close(self, name):
        Registry.delete(name)
        odoo.sql_db.close_db(name)

    def copy(self, source, name):
        self._close(source)
        self.created.append(name)
        with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
            # CREATE and DROP DATABASE cannot run inside a transaction.
            cr._cnx.autocommit = True
            _drop_conn(cr, source)
            cr.execute(
                SQL(
                    "CREATE DATABASE %s TEMPLATE %s",
                    SQL.identifier(name),
                    SQL.identifier(source),
                )
            )
        filestore = Path(odoo.tools.config.filestore(source))
        if filestore.exists():
            copytree(filestore, odoo.tools.config.filestore(name))
        return name

    def drop(self, name):
        self._close(name)
        with closing(odoo.sql_db.db_connect("postgres").cursor()) as cr:
            cr._cnx.autocommit = True
            _drop_conn(cr, name)
            cr.execute(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))
        rmtree(odoo.tools.config.filestore(name), ignore_errors=True)
        if name in self.created:
            self.created.remove(name)

    def drop_all(self):
        for name in reversed(list(self.created)):
            try:
                self.drop(name)
            except Exception as error:  # noqa: BLE001 - drop the others anyway
                print(f"could not drop database {name}: {error}", file=sys.stderr)


@contextlib.contextmanager
def environment(db_name):
    registry = Registry(db_name)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})
