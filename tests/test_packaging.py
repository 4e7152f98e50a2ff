"""The package list in pyproject.toml is written by hand (resources/ is mapped into the
package); every Python package in the tree must be on it, or an installed app lacks it."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    in_tree = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "skyvern_desktop").rglob("__init__.py")
    }
    assert in_tree - listed == set(), "add these to [tool.setuptools] packages"
    # resources/ is mapped in; its icons/ folder is data, listed so setuptools installs it
    # (a folder of data inside a package that is not listed draws its "would be ignored").
    assert listed - in_tree == {"skyvern_desktop.resources", "skyvern_desktop.resources.icons"}
    icons = config["tool"]["setuptools"]["package-data"]["skyvern_desktop.resources.icons"]
    assert icons == ["*.png"] and list((ROOT / "resources" / "icons").glob("*.png"))
