"""Runs numbered by a sequence of their own, which Previews do not consume.

Earlier versions named a run after its id, which the runs a Preview simulates
(and rolls back) consumed too. The existing runs keep their number, their id;
the sequence goes on after the highest.
"""

import logging

from odoo import SUPERUSER_ID, api

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    # Raw SQL: one statement numbers every run, which the ORM would load.
    cr.execute(
        "UPDATE collection_ruler_run SET number = id::varchar WHERE number IS NULL"
    )
    cr.execute("SELECT MAX(id) FROM collection_ruler_run")
    last = cr.fetchone()[0] or 0
    sequence = env.ref("collection_ruler.ir_sequence_collection_ruler_run", False)
    if sequence and sequence.number_next <= last:
        sequence.number_next = last + 1
        _logger.info("Collection runs: numbered from %s on", last + 1)
