"""Fail when a module's i18n/<module>.pot misses terms of the module.

    python3 tools/check_pot.py EXPORTED.pot [MODULE]

EXPORTED.pot is what Odoo exports from a database with MODULE (default
collection_ruler) freshly installed (``--i18n-export --modules=MODULE``).
The committed template must hold the same terms, so that the pt_BR test,
which reads it, sees every term.
"""

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main():
    module = sys.argv[2] if len(sys.argv) > 2 else "collection_ruler"
    committed_path = ROOT / module / "i18n" / f"{module}.pot"
    exported = {entry.msgid for entry in polib.pofile(sys.argv[1])}
    committed = {entry.msgid for entry in polib.pofile(str(committed_path))}
    missing, stale = sorted(exported - committed), sorted(committed - exported)
    for label, terms in (("missing from", missing), ("stale in", stale)):
        for term in terms:
            print(f"term {label} {module}.pot: {term[:100]!r}")
    if missing or stale:
        sys.exit(
            f"{module}.pot is out of date: export it again with "
            f"--i18n-export --modules={module}, then translate pt_BR.po"
        )
    print(f"{module}.pot: {len(committed)} terms, up to date")


if __name__ == "__main__":
    main()
