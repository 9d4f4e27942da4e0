"""`planner balance --save-state` writes the final cluster so that real hbal scores it exactly as the
plan says (free memory and free disk moved with the instances), and never overwrites the input."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.cli.main import main
from tests.helpers import DATA, group_params, hbal_initial, needs_hbal

CASES = group_params(("local", "suite", "bench"), lambda f: f.parent.name != "clusters" or "small" in f.name,
                     plannable=True)


def _run(args: list[str]) -> int:
    with pytest.raises(SystemExit) as e:
        main(args)
    return e.value.code


@needs_hbal
@pytest.mark.parametrize("path,group", CASES)
def test_saved_state_scores_as_planned(tmp_path: Path, capsys, path: Path, group: str | None) -> None:
    import json

    out = tmp_path / "final.data"
    gargs = ["-G", group] if group else []
    assert _run(["balance", str(path), "--json", "--save-state", str(out), *gargs]) == 0
    plan = json.loads(capsys.readouterr().out)
    if not plan["steps"]:
        pytest.skip("no moves")
    ref = hbal_initial(out, group)
    assert ref is not None
    assert abs(ref[0] - plan["final_score"]) < 5e-9


def test_refuses_to_overwrite_input(tmp_path: Path, capsys) -> None:
    src = tmp_path / "c.data"
    src.write_bytes((DATA / "n1quirk.data").read_bytes())
    before = src.read_bytes()
    assert _run(["balance", str(src), "--save-state", str(src)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert src.read_bytes() == before
