"""Package the collection_ruler addon as ``odoo-addon-collection_ruler``.

``pip install .`` installs the addon into the ``odoo.addons`` namespace, so any
Odoo 18 that can import it finds the module without an addons path.
"""

import ast
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent
MODULE = "collection_ruler"
manifest = ast.literal_eval((HERE / MODULE / "__manifest__.py").read_text())


def package_files():
    """Every file of the addon, so data, views and translations ship too."""
    return [
        str(path.relative_to(HERE / MODULE))
        for path in (HERE / MODULE).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]


setup(
    name=f"odoo-addon-{MODULE}",
    version=manifest["version"],
    description=manifest["summary"],
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license=manifest["license"],
    author=manifest["author"],
    url=manifest["website"],
    python_requires=">=3.10",
    install_requires=manifest["external_dependencies"]["python"],
    packages=[f"odoo.addons.{MODULE}"],
    package_dir={f"odoo.addons.{MODULE}": MODULE},
    package_data={f"odoo.addons.{MODULE}": package_files()},
    include_package_data=False,
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
