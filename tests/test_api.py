"""The public API: every verb stays a function after all subpackages are imported."""

from __future__ import annotations

import importlib
import pkgutil

import ragtune


def test_verbs_are_not_shadowed_by_subpackages():
    for module in pkgutil.walk_packages(ragtune.__path__, "ragtune."):
        importlib.import_module(module.name)
    for name in ragtune.__all__:
        value = getattr(ragtune, name)
        assert not isinstance(value, type(ragtune)), f"ragtune.{name} is a module, not the public {name}"
