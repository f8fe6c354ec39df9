"""Fixture trees for the host-model tests: checked-in driver trees and a generated 256-CPU host."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "host_model"
TREES = FIXTURES / "trees"


def load_builder():
    spec = importlib.util.spec_from_file_location("build_trees", FIXTURES / "build_trees.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_trees"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def builder():
    return load_builder()


@pytest.fixture(scope="session")
def host256(tmp_path_factory, builder) -> Path:
    root = tmp_path_factory.mktemp("host256") / "host256"
    builder.host256().write(root)
    return root


def tree(name: str) -> str:
    path = TREES / name
    assert path.is_dir(), f"missing fixture tree {path}: run tests/fixtures/host_model/build_trees.py"
    return str(path)
