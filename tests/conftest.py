"""Fixtures and hooks only; shared helpers live in tests/helpers.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import NO_SUITE, suite_dir


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``@oracle(binary)`` tests, with one reason, when that htools binary is not installed."""
    for mark in item.iter_markers("oracle"):
        binary = mark.args[0] if mark.args else "hbal"
        if shutil.which(binary) is None:
            pytest.skip(f"real {binary} not installed (apt-get install ganeti-htools)")


@pytest.fixture
def testsuite() -> Path:
    d = suite_dir()
    if d is None:
        pytest.skip(NO_SUITE)
    return d
