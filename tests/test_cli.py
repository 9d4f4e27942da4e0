"""The command line: verify's exit codes, bad input as one line and exit 2, JSON plans."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.cli.main import main
from tests.helpers import DATA


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def test_balance_json_then_verify(tmp_path: Path, capsys) -> None:
    src = str(DATA / "tiny-skewed.data")
    code, out, _ = run(capsys, "balance", src, "--json")
    assert code == 0
    plan = json.loads(out)
    assert {"method", "initial_score", "final_score", "steps", "jobsets", "status", "wall_s"} <= set(plan)
    assert plan["steps"] and set(plan["steps"][0]) >= {"instance", "move", "from_primary", "from_secondary",
                                                       "to_primary", "to_secondary", "gb_copied"}
    path = tmp_path / "plan.json"
    path.write_text(out)
    code, out, _ = run(capsys, "verify", src, str(path))
    assert code == 0 and out.startswith("plan verified")
    plan["steps"][0]["to_secondary"] = plan["steps"][0]["to_primary"]
    path.write_text(json.dumps(plan))
    code, out, _ = run(capsys, "verify", src, str(path))
    assert code == 1 and out.startswith("step 1 (")


@pytest.mark.parametrize("args,expect", [
    (["score", "/nonexistent.data"], "/nonexistent.data: no such file"),
    (["score", str(DATA / "two-groups.data")], "multiple node groups"),
    (["score", str(DATA / "two-groups.data"), "-G", "nope"], "node group 'nope' not found"),
    (["balance", str(DATA / "offline.data"), "--method", "cpsat", "--max-moves", "0", "--time-limit", "5"],
     "--max-moves 0 cannot empty the offline nodes: 3 instances must leave them"),
    (["verify", str(DATA / "n1quirk.data"), "/nonexistent.json"], "no such file"),
    (["pareto", str(DATA / "n1quirk.data"), "--points", "a,b"], "--points"),
])
def test_bad_input_is_one_line_exit_2(capsys, args: list[str], expect: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2
    assert err.startswith("planner: error: ") and expect in err and err.count("\n") == 1


def test_score_json_matches_issue_format(capsys) -> None:
    code, out, _ = run(capsys, "score", str(DATA / "n1quirk.data"), "--json")
    d = json.loads(out)
    assert code == 0 and set(d) == {"score", "metrics", "n1_fail_nodes", "group"} and len(d["metrics"]) == 20
    assert f"{d['score']:.8f}" == "3.31686197"


def test_unreachable_target_score_says_so_and_keeps_the_best_plan(capsys) -> None:
    """``--target-score`` 0, below the N+1 optimum (0.0104): the best plan found, and one line saying so."""
    src = str(DATA / "tiny-skewed.data")
    code, out, err = run(capsys, "balance", src, "--method", "cpsat", "--time-limit", "5", "--target-score", "0")
    assert code == 0 and "Cluster score improved" in out
    assert "target score 0.00000000 not reached within the time limit" in " ".join(err.split())
    code, out, _ = run(capsys, "balance", src, "--method", "cpsat", "--time-limit", "5", "--target-score", "0",
                       "--json")
    plan = json.loads(out)
    assert code == 0 and plan["extra"]["target_reached"] is False and plan["final_score"] < plan["initial_score"]
    code, out, _ = run(capsys, "balance", src, "--method", "cpsat", "--time-limit", "5", "--target-score",
                       str(plan["initial_score"]), "--json")
    assert code == 0 and json.loads(out)["extra"]["target_reached"] is True


def test_partial_evacuation_within_a_move_budget(capsys) -> None:
    """offline.data needs 3 moves to drain nA: --max-moves 1 is refused, unless the operator asks for a
    partial evacuation; then one move, verified, and the other two instances stay on nA."""
    args = ["balance", str(DATA / "offline.data"), "--method", "cpsat", "--max-moves", "1", "--time-limit", "3"]
    code, _, err = run(capsys, *args)
    assert code == 2 and "--partial-evacuation leaves the rest there" in err
    code, out, _ = run(capsys, *args, "--partial-evacuation", "--json")
    plan = json.loads(out)
    assert code == 0 and len(plan["steps"]) == 1 and plan["extra"]["verified"] is True
    assert plan["final_score"] < plan["initial_score"]
