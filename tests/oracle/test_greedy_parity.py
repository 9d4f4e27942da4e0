"""The greedy balancer prints what real `hbal -t FILE -C` prints: every line, every 8-decimal score,
the jobsets and commands (also with --no-disk-moves and -E), on Ganeti's test-suite files, the
hand-made files and the small bench clusters; the first 12 steps on the medium bench clusters."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli.main import main
from tests.helpers import NO_BENCH, bench_files, loaded, needs_hbal, run_hbal, suite_dir

VARIANTS = {"default": [], "no-disk-moves": ["--no-disk-moves"], "evac": ["-E"]}


def _cases(sources: tuple[str, ...], keep, extra: list[str] | None = None) -> list:
    cases = []
    for f, c in [fc for src in sources for fc in loaded(src, keep)]:
        groups = c.nonempty_groups()
        if len(set(i.name for i in c.instances)) != len(c.instances):
            continue  # duplicate instance names: planner refuses to plan them
        for g in groups:
            gargs = ["-G", g.name] if len(groups) > 1 else []
            for v, vargs in VARIANTS.items():
                if v == "evac" and not any(n.offline for n in c.nodes):
                    continue
                cases.append(pytest.param(f, gargs + vargs + (extra or []), id=f"{f.name}[{g.name}]-{v}"))
    return cases


def planner_stdout(capsys, args: list[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(["balance", *args])
    assert e.value.code == 0
    return capsys.readouterr().out


def _compare(capsys, path: Path, args: list[str]) -> None:
    ref = run_hbal("-t", str(path), "-C", *args)
    assert ref.returncode == 0, ref.stderr
    ours = planner_stdout(capsys, [str(path), "-C", *args])
    assert ours.splitlines() == ref.stdout.splitlines()


SMALL = _cases(("local", "suite", "bench"), lambda f: f.parent.name != "clusters" or "small" in f.name)
MEDIUM = _cases(("bench",), lambda f: "medium" in f.name, ["-l", "12"])


@needs_hbal
@pytest.mark.parametrize("path,args", SMALL)
def test_same_output_as_hbal(capsys, path: Path, args: list[str]) -> None:
    _compare(capsys, path, args)


@needs_hbal
@pytest.mark.parametrize("path,args", MEDIUM or [pytest.param(None, None, marks=pytest.mark.skip(reason=NO_BENCH))])
def test_first_12_steps_medium(capsys, path: Path, args: list[str]) -> None:
    _compare(capsys, path, args)


def test_cases_found() -> None:
    """142 cases when the test suite and the bench are there; the hand-made files always count."""
    local = len(_cases(("local",), lambda f: True))
    assert local >= 20 and len(SMALL) >= local
    if suite_dir() is not None and bench_files():
        assert len(SMALL) + len(MEDIUM) >= 142, len(SMALL) + len(MEDIUM)
