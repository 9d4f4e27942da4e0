"""Shared test helpers: where the data lives, the real htools binaries, and loading bench clusters.

Import from here (``from tests.helpers import ...``); ``conftest.py`` holds only fixtures and hooks.
Every test that runs a real htools binary carries ``@oracle("hbal")`` (or hspace/hcheck): it is
skipped with one reason when the binary is absent.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BENCH = Path(os.environ.get("PLANNER_BENCH") or ROOT.parent / "shared" / "bench" / "clusters")  #: env: elsewhere
SUITE_CANDIDATES = [
    os.environ.get("GANETI_TESTDATA", ""),
    str(ROOT / ".cache/ganeti-testsuite/usr/share/ganeti/testsuite/test/data/htools"),
]
NO_BENCH = "../shared/bench/clusters is not beside the repository"
NO_SUITE = "Ganeti test-suite data not found (make testdata, or set GANETI_TESTDATA)"

HBAL = shutil.which("hbal")
HSPACE = shutil.which("hspace")
HCHECK = shutil.which("hcheck")


def oracle(binary: str = "hbal"):
    """Mark a test as needing a real htools binary (``hbal``, ``hspace``, ``hcheck``)."""
    return pytest.mark.oracle(binary)


needs_hbal = oracle("hbal")


def suite_dir() -> Path | None:
    """Ganeti's ``test/data/htools`` (fetched by ``make testdata`` into .cache/), or None."""
    for c in SUITE_CANDIDATES:
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


def bench_path(name: str) -> Path:
    """A shared bench cluster file; the test is skipped (one reason) when the bench is absent."""
    p = BENCH / name
    if not p.exists():
        pytest.skip(NO_BENCH)
    return p


def bench(name: str):
    """A shared bench cluster, loaded; skipped when absent."""
    from planner.api import load

    return load(bench_path(name))


def require(cases: list, at_least: int, what: str) -> list:
    """``cases`` when there are at least ``at_least`` of them; a parity suite never passes on nothing.

    Where the data is absent altogether the caller skips instead (``NO_BENCH`` / ``NO_SUITE``).
    """
    assert len(cases) >= at_least, f"{what}: {len(cases)} cases, expected at least {at_least}"
    return cases


def run_hbal(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the real hbal; tests calling it carry ``@needs_hbal``."""
    return subprocess.run([HBAL or "hbal", *args], capture_output=True, text=True, timeout=timeout)


def hbal_initial(path: Path | str, group: str | None = None, backend: str = "-t") -> tuple[float, int] | None:
    """hbal's ``Initial score`` and initial bad-node count, or None if it prints none.

    ``backend`` is hbal's input option: ``-t`` (a text file) or ``-m`` (a RAPI URL or ``file://`` dump).
    """
    args = [backend, str(path), "-l", "0"] + (["-G", group] if group else [])
    out = run_hbal(*args).stdout
    m = re.search(r"Initial score: (\S+)", out)
    b = re.search(r"Initial check done: (\d+) bad nodes", out)
    if not m or not b:
        return None
    return float(m.group(1)), int(b.group(1))


#: files hbal itself refuses (the parsers' error tests cover them); nothing else may fail to load
KNOWN_INVALID = {"invalid-node.data"}
#: at least this many loadable files per source when the source is there (a parser regression that
#: rejects files shows as a failure, not as fewer cases)
EXPECTED_FILES = {"local": 15, "suite": 49, "bench": 11}


def source_files(source: str) -> list[Path]:
    """``local`` (tests/data), ``suite`` (Ganeti's test data) or ``bench`` (../shared/bench) files."""
    return {"local": local_files, "suite": suite_files, "bench": bench_files}[source]()


def loaded(source: str, keep=lambda path: True) -> list:
    """``(path, cluster)`` for every file of ``source`` that ``keep`` accepts; fails on an unexpected load
    error and when fewer files load than :data:`EXPECTED_FILES` says (all of them when ``keep`` is the default)."""
    from planner.api import load

    files = [f for f in source_files(source) if f.name not in KNOWN_INVALID]
    if files:
        assert len(files) >= EXPECTED_FILES[source], f"{source}: {len(files)} files, expected {EXPECTED_FILES[source]}"
    return [(f, load(f)) for f in files if keep(f)]


def group_params(sources: tuple[str, ...], keep=lambda path: True, plannable: bool = False, variants=None) -> list:
    """pytest params ``(path, group)`` for every group with instances of the files of ``sources``.

    A source that is absent gives one skipped param naming it, so a missing data set shows as a skip,
    never as a vacuous pass; ``plannable`` drops files with duplicate instance names (plans refuse them).
    """
    out = []
    for src in sources:
        cases = loaded(src, keep)
        if not cases and src != "local":
            out.append(pytest.param(None, None, marks=pytest.mark.skip(reason=NO_BENCH if src == "bench" else NO_SUITE),
                                    id=f"{src}-absent"))
        for f, c in cases:
            if not c.instances or (plannable and len({i.name for i in c.instances}) != len(c.instances)):
                continue
            groups = c.nonempty_groups()
            for g in groups:
                out.append(pytest.param(f, g.name if len(groups) > 1 else None, id=f"{f.name}[{g.name}]"))
    return out


def real_cases(params: list) -> list:
    """The params that are not skip markers for an absent source."""
    return [p for p in params if not p.marks]
