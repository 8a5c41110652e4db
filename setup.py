"""Package the repository's modules as ``odoo-addon-collection_ruler``.

``pip install .`` installs every module of the repository (each folder with a
``__manifest__.py``: collection_ruler and its bridges) into the
``odoo.addons`` namespace, so any Odoo 18 that can import them finds the
modules without an addons path.
"""

import ast
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).parent
MODULE = "collection_ruler"
MODULES = sorted(path.parent.name for path in HERE.glob("*/__manifest__.py"))
manifest = ast.literal_eval((HERE / MODULE / "__manifest__.py").read_text())


def package_files(module):
    """Every file of ``module``, so data, views and translations ship too."""
    return [
        str(path.relative_to(HERE / module))
        for path in (HERE / module).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    ]


def python_requirements():
    """The Python packages the modules' manifests ask for."""
    requirements = set()
    for module in MODULES:
        module_manifest = ast.literal_eval(
            (HERE / module / "__manifest__.py").read_text()
        )
        requirements.update(
            module_manifest.get("external_dependencies", {}).get("python", [])
        )
    return sorted(requirements)


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
    install_requires=python_requirements(),
    packages=[f"odoo.addons.{module}" for module in MODULES],
    package_dir={f"odoo.addons.{module}": module for module in MODULES},
    package_data={f"odoo.addons.{module}": package_files(module) for module in MODULES},
    include_package_data=False,
    zip_safe=False,
    classifiers=[
        "Programming Language :: Python",
        "Framework :: Odoo",
        "Framework :: Odoo :: 18.0",
        "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)",
    ],
)
