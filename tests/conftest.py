"""Shared fixtures: the real hbal binary, Ganeti's test-suite data, the shared bench clusters."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BENCH = ROOT.parent / "shared" / "bench" / "clusters"
_TESTDATA_CANDIDATES = [
    os.environ.get("GANETI_TESTDATA", ""),
    str(ROOT / ".cache/ganeti-testsuite/usr/share/ganeti/testsuite/test/data/htools"),
    "/tmp/gts/x/usr/share/ganeti/testsuite/test/data/htools",
]


def suite_dir() -> Path | None:
    """Ganeti's ``test/data/htools`` (fetched by .ci/run into .cache/), or None."""
    for c in _TESTDATA_CANDIDATES:
        if c and Path(c, "hbal-evac.data").exists():
            return Path(c)
    return None


def suite_files() -> list[Path]:
    d = suite_dir()
    return sorted(d.glob("*.data")) if d else []


def bench_files(max_bytes: int | None = None) -> list[Path]:
    files = sorted(BENCH.glob("*.data")) if BENCH.exists() else []
    return [f for f in files if max_bytes is None or f.stat().st_size <= max_bytes]


def local_files() -> list[Path]:
    return sorted(DATA.glob("*.data"))


HBAL = shutil.which("hbal")
needs_hbal = pytest.mark.skipif(HBAL is None,
                                reason="real hbal not installed (apt-get install ganeti-htools)")


def run_hbal(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real hbal; the caller skips when it is absent."""
    return subprocess.run([HBAL or "hbal", *args], capture_output=True, text=True, timeout=timeout)


def hbal_initial(path: Path, group: str | None = None) -> tuple[float, int] | None:
    """hbal's ``Initial score`` and initial bad-node count, or None if it prints none."""
    args = ["-t", str(path), "-l", "0"] + (["-G", group] if group else [])
    out = run_hbal(*args).stdout
    m = re.search(r"Initial score: (\S+)", out)
    b = re.search(r"Initial check done: (\d+) bad nodes", out)
    if not m or not b:
        return None
    return float(m.group(1)), int(b.group(1))


@pytest.fixture
def testsuite() -> Path:
    d = suite_dir()
    if d is None:
        pytest.skip("Ganeti test-suite data not found (set GANETI_TESTDATA or run .ci/run)")
    return d
