"""Fail when collection_ruler/i18n/collection_ruler.pot misses terms of the module.

    python3 tools/check_pot.py EXPORTED.pot

EXPORTED.pot is what Odoo exports from a database with the module freshly
installed (``--i18n-export``). The committed template must hold the same
terms, so that the pt_BR test, which reads it, sees every term.
"""

import sys
from pathlib import Path

import polib

COMMITTED = (
    Path(__file__).resolve().parent.parent
    / "collection_ruler/i18n/collection_ruler.pot"
)


def main():
    exported = {entry.msgid for entry in polib.pofile(sys.argv[1])}
    committed = {entry.msgid for entry in polib.pofile(str(COMMITTED))}
    missing, stale = sorted(exported - committed), sorted(committed - exported)
    for label, terms in (("missing from", missing), ("stale in", stale)):
        for term in terms:
            print(f"term {label} collection_ruler.pot: {term[:100]!r}")
    if missing or stale:
        sys.exit(
            "collection_ruler.pot is out of date: export it again with "
            "--i18n-export --modules=collection_ruler, then translate pt_BR.po"
        )
    print(f"collection_ruler.pot: {len(committed)} terms, up to date")


if __name__ == "__main__":
    main()
