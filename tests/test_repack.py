"""``planner capacity --repack``: how many more fit after moving existing instances, and what it costs.

Hand-checked on ``repack-3n.data``: three nodes of 100 GiB disk, two 40 GiB DRBD instances both on a/b, so a and b
have 20 GiB free and no new 40 GiB DRBD instance fits (it needs two nodes with 40 GiB free).  Moving one secondary
to c (one replace-disks, 40 GiB copied) leaves b and c with 60 GiB free: exactly one more fits, and no placement
fits two (each node holds at most two 40 GiB copies: 3 nodes x 2 copies = 3 instances).  A budget under 40 GiB
can only fail over (0 GiB), which frees no disk.
"""

from __future__ import annotations

import pytest

from planner.capacity.options import Spec
from planner.capacity.repack import RepackOptions, parse_budgets, repack_curve
from planner.cli.main import main
from planner.domain.errors import PlannerError
from planner.io.htools_text import read_text
from tests.helpers import DATA

FILE = str(DATA / "repack-3n.data")
SPEC = ["--standard-alloc", "40g,1g,1", "--disk-template", "drbd"]


def test_repack_frees_room_for_one_more_within_its_budget() -> None:
    c = read_text(FILE)
    rows = repack_curve(c, Spec(1024, 40960, 1), "drbd",
                        RepackOptions(budgets=parse_budgets("20g,40g,all"), time_limit=3.0, optimal=True))
    got = {r.budget: r for r in rows}
    assert [r.budget for r in rows] == [0.0, 20.0, 40.0, None]
    assert (got[0.0].greedy, got[0.0].optimal, got[0.0].moves) == (0, 0, 0)
    assert got[20.0].gb <= 20 and (got[20.0].greedy, got[20.0].optimal) == (0, 0)
    for b in (40.0, None):
        assert (got[b].greedy, got[b].optimal, got[b].gb) == (1, 1, 40.0)
        assert got[b].verified and got[b].score < got[0.0].score
    assert all(r.verified for r in rows)


def test_cli_prints_a_row_per_budget(capsys) -> None:
    with pytest.raises(SystemExit) as e:
        main(["capacity", FILE, *SPEC, "--repack", "--repack-budget", "40G", "--time-limit", "3"])
    out = capsys.readouterr().out
    assert e.value.code in (0, None)
    table = out[out.index("repack, flavor"):]
    assert "today 0" in table
    rows = [ln.split("│") for ln in table.splitlines() if "│" in ln]
    assert [r[0].strip() for r in rows] == ["0", "40"]
    assert [r[6].strip() for r in rows] == ["0", "1"]  # greedy (hspace) count after each repack


@pytest.mark.parametrize("args, word", [
    (["--repack-budget", "500G"], "applies with --repack"),
    (["--repack", "--repack-budget", "lots"], "--repack-budget"),
    (["--repack", "--repack-budget", "-3"], "--repack-budget"),
])
def test_bad_repack_options_are_one_line_and_exit_2(capsys, args: list[str], word: str) -> None:
    with pytest.raises(SystemExit) as e:
        main(["capacity", FILE, *SPEC, *args])
    err = capsys.readouterr().err
    assert e.value.code == 2 and err.count("\n") == 1 and word in err, err


def test_budgets_parse_units() -> None:
    assert parse_budgets("1T, 0.5t,all,0") == (0.0, 512.0, 1024.0, None)
    with pytest.raises(PlannerError):
        parse_budgets("5P")
