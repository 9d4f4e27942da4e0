"""The greedy balancer prints what real `hbal -t FILE -C` prints: every line, every 8-decimal score,
the jobsets and commands (also with --no-disk-moves and -E), on Ganeti's test-suite files, the
hand-made files and the small bench clusters; the first 12 steps on the medium bench clusters."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.api import load
from planner.cli.main import main
from planner.domain.errors import PlannerError
from tests.conftest import bench_files, local_files, needs_hbal, run_hbal, suite_files

VARIANTS = {"default": [], "no-disk-moves": ["--no-disk-moves"], "evac": ["-E"]}


def _cases(files: list[Path], extra: list[str] | None = None) -> list:
    cases = []
    for f in files:
        try:
            c = load(f)
        except PlannerError:
            continue
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


SMALL = local_files() + suite_files() + [f for f in bench_files() if "small" in f.name]


@needs_hbal
@pytest.mark.parametrize("path,args", _cases(SMALL))
def test_same_output_as_hbal(capsys, path: Path, args: list[str]) -> None:
    _compare(capsys, path, args)


MEDIUM = [f for f in bench_files() if "medium" in f.name]


@needs_hbal
@pytest.mark.parametrize("path,args", _cases(MEDIUM, ["-l", "12"]))
def test_first_12_steps_medium(capsys, path: Path, args: list[str]) -> None:
    _compare(capsys, path, args)
