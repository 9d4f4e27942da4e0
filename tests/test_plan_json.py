"""``planner verify`` reads plans through a pydantic schema (planner/io/plan_json.py): exit 2 for a malformed
plan or one not for this cluster, naming the field; exit 1 only for a well-formed plan that breaks a rule.

On main: a list name gave ``TypeError: unhashable type``, a string/null final_score and a partial schedule
tracebacks (KeyError), deep nesting a RecursionError, and ``{}`` / no steps "plan verified: 0 steps", exit 0;
unknown instances and nodes exited 1 as if the plan broke a rule."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from planner.cli.main import main
from tests.helpers import DATA

SRC = str(DATA / "tiny-skewed.data")


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


@pytest.fixture(scope="module")
def plan() -> dict:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "planner.cli.main", "balance", SRC, "--json"], capture_output=True,
                         text=True, check=True).stdout
    p = json.loads(out)
    assert len(p["steps"]) == 3  # hbal's plan for tiny-skewed: three moves
    return p


def _set(p: dict, path: str, value) -> dict:
    q = copy.deepcopy(p)
    *head, last = path.split(".")
    d = q
    for k in head:
        d = d[int(k)] if isinstance(d, list) else d[k]
    if value is KeyError:
        del d[last]
    else:
        d[int(last) if isinstance(d, list) else last] = value
    return q


MALFORMED = [
    ("steps.0.instance", ["t1"], "field 'steps.0.instance'"),
    ("final_score", "0.5", "field 'final_score'"),
    ("final_score", None, "field 'final_score'"),
    ("schedule", {"starts": [0.0]}, "field 'schedule."),
    ("steps", KeyError, "field 'steps'"),
    ("steps.0.move", "zz", "field 'steps.0.move'"),  # not a move kind
    ("steps.0.instance", "no-such", "no instance 'no-such'"),  # not for this cluster
    ("steps.0.to_primary", "no-such", "no node 'no-such'"),
]


@pytest.mark.parametrize(("path", "value", "says"), MALFORMED, ids=[f"{p}={v!r}" for p, v, _ in MALFORMED])
def test_malformed_or_foreign_plan_exits_2_naming_the_field(capsys, tmp_path: Path, plan: dict, path: str, value,
                                                            says: str) -> None:
    f = tmp_path / "plan.json"
    f.write_text(json.dumps(_set(plan, path, value)))
    code, out, err = run(capsys, "verify", SRC, str(f))
    assert code == 2 and out == "" and err.count("\n") == 1 and err.startswith(f"planner: error: {f}: "), err
    assert says in err, err


@pytest.mark.parametrize("text", ["{}", "[" * 100000 + "]" * 100000, "[]", "null"])
def test_empty_or_deep_json_exits_2(capsys, tmp_path: Path, text: str) -> None:
    f = tmp_path / "plan.json"
    f.write_text(text)
    code, _, err = run(capsys, "verify", SRC, str(f))
    assert code == 2 and err.count("\n") == 1 and str(f) in err, err


def test_well_formed_plan_breaking_a_rule_exits_1(capsys, tmp_path: Path, plan: dict) -> None:
    f = tmp_path / "plan.json"
    f.write_text(json.dumps(plan))
    assert run(capsys, "verify", SRC, str(f))[0] == 0
    f.write_text(json.dumps(_set(plan, "steps.0.to_secondary", plan["steps"][0]["to_primary"])))
    code, out, _ = run(capsys, "verify", SRC, str(f))
    assert code == 1 and out.startswith("step 1 (")


def test_apply_reads_plans_through_the_schema(capsys, tmp_path: Path, plan: dict) -> None:
    f = tmp_path / "plan.json"
    f.write_text(json.dumps(_set(plan, "final_score", None)))
    code, _, err = run(capsys, "apply", str(f), "--rapi", "http://127.0.0.1:9", "--dry-run")
    assert code == 2 and "field 'final_score'" in err and err.count("\n") == 1, err
