"""Fixture trees for the host-model tests: the driver trees (from trees.ttar) and a generated 256-CPU host."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import host_trees
import pytest

FIXTURES = host_trees.FIXTURES


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
    return str(host_trees.tree(name))
