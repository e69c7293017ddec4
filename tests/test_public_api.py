"""The package's public surface: ``__all__`` is exact and the documented names import."""

from __future__ import annotations

import ast
import importlib
import inspect
import types
from pathlib import Path

import pytest

import relationclient

# The names DESIGN.md's "Models" table lists.
DESIGN_MODELS = (
    "Address",
    "Shop",
    "Customer",
    "OrderLine",
    "Delivery",
    "Order",
    "Shipment",
    "Delay",
    "DelayReason",
    "Promo",
    "Money",
)

# Dunder names that belong in __all__ although they start with an underscore.
PUBLIC_DUNDERS = {"__version__"}


def names_bound_in_init() -> set[str]:
    """Every name ``relationclient/__init__.py`` binds at module level."""
    tree = ast.parse(Path(inspect.getfile(relationclient)).read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_all_is_sorted_without_duplicates() -> None:
    exported = relationclient.__all__
    assert exported == sorted(exported)
    assert len(exported) == len(set(exported))


def test_all_matches_the_public_names_of_init() -> None:
    bound = names_bound_in_init()
    public = {
        name
        for name in bound
        if not name.startswith("_")
        and not isinstance(getattr(relationclient, name, None), types.ModuleType)
    }
    dunders = {name for name in bound if name in PUBLIC_DUNDERS}
    assert set(relationclient.__all__) == public | dunders


def test_all_matches_the_public_attributes_of_the_package() -> None:
    attributes = {
        name
        for name, value in vars(relationclient).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert set(relationclient.__all__) - PUBLIC_DUNDERS == attributes


def test_every_exported_name_exists() -> None:
    for name in relationclient.__all__:
        assert getattr(relationclient, name) is not None, name


@pytest.mark.parametrize("name", DESIGN_MODELS)
def test_design_models_importable_from_the_package(name: str) -> None:
    module = importlib.import_module("relationclient")
    assert name in module.__all__
    value = getattr(module, name)
    assert isinstance(value, type)
    assert value.__module__.startswith("relationclient.models")


def test_star_import_gives_the_design_models() -> None:
    namespace: dict[str, object] = {}
    exec("from relationclient import *", namespace)
    assert set(DESIGN_MODELS) <= namespace.keys()


def test_version_is_a_string() -> None:
    assert isinstance(relationclient.__version__, str)
    assert relationclient.__version__.strip()
    assert relationclient.__version__[0].isdigit()
