"""No command writes over an input file, and output paths are checked before any work (issue 22)."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from planner.cli.main import main
from planner.cli.outputs import check_outputs
from planner.domain.errors import PlannerError
from tests.helpers import DATA


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def cluster(tmp_path: Path) -> Path:
    dst = tmp_path / "c.data"
    shutil.copy(DATA / "tiny-skewed.data", dst)
    return dst


def _refused(capsys, cluster: Path, *args: str) -> str:
    before = _digest(cluster)
    code, _, err = run(capsys, *args)
    assert _digest(cluster) == before, "the input file was rewritten"
    assert code == 2 and err.startswith("planner: error: ") and err.count("\n") == 1, err
    return err


def test_pareto_csv_onto_the_input_is_refused(capsys, cluster: Path) -> None:
    err = _refused(capsys, cluster, "pareto", str(cluster), "--points", "0", "--time-limit", "1",
                   "--csv", str(cluster))
    assert "input" in err


def test_compare_csv_onto_the_input_is_refused(capsys, cluster: Path) -> None:
    _refused(capsys, cluster, "compare", str(cluster), "--no-hbal", "--time-limit", "1", "--csv", str(cluster))


@pytest.mark.parametrize("opt", ["--save-state", "--save-plan", "--commands"])
def test_hard_link_of_the_input_is_refused(capsys, tmp_path: Path, cluster: Path, opt: str) -> None:
    link = tmp_path / "link.data"
    os.link(cluster, link)
    err = _refused(capsys, cluster, "balance", str(cluster), opt, str(link))
    assert str(link) in err


def test_symlink_of_the_input_is_refused(capsys, tmp_path: Path, cluster: Path) -> None:
    link = tmp_path / "sym.data"
    link.symlink_to(cluster)
    _refused(capsys, cluster, "balance", str(cluster), "--save-plan", str(link))


@pytest.mark.parametrize("opt", ["--save-state", "--save-plan", "--commands"])
def test_missing_directory_is_refused_before_planning(capsys, tmp_path: Path, cluster: Path, opt: str) -> None:
    err = _refused(capsys, cluster, "balance", str(cluster), opt, str(tmp_path / "nope" / "out"))
    assert "directory" in err and "Traceback" not in err


def test_save_steps_into_the_input_directory_holding_no_input(capsys, tmp_path: Path, cluster: Path) -> None:
    err = _refused(capsys, cluster, "balance", str(cluster), "--save-steps", str(cluster))
    assert "not a directory" in err


def test_check_outputs_rules(tmp_path: Path) -> None:
    src = tmp_path / "in.data"
    src.write_text("x")
    check_outputs([src], [tmp_path / "new.csv", None])
    for bad, why in [(tmp_path, "is a directory"), (tmp_path / "no" / "f", "no such directory"),
                     (src, "input file")]:
        with pytest.raises(PlannerError, match=why):
            check_outputs([src], [bad])
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if not os.access(ro, os.W_OK):  # root can write anywhere
            with pytest.raises(PlannerError, match="not writable"):
                check_outputs([src], [ro / "f"])
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("args", [["balance", "--nope"], ["balance", str(DATA / "tiny-skewed.data"), "--workers", "x"],
                                  ["pareto", str(DATA / "tiny-skewed.data"), "--by", "z"], ["nosuchcommand"]])
def test_click_usage_errors_are_one_line(capsys, args: list[str]) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and err.startswith("planner: error: ") and err.count("\n") == 1, err


def test_report_html_onto_a_hard_link_of_the_input_is_refused(capsys, tmp_path: Path, cluster: Path) -> None:
    link = tmp_path / "link.html"
    os.link(cluster, link)
    _refused(capsys, cluster, "report", str(cluster), "--html", str(link))
