"""``planner failures`` against hand-counted cases (tests/data/failures-basic.data).

fa: a1 (512 MiB) → fb and a2 → fc fail over, plainA (plain) is lost; after it fc reserves 12288 MiB
for onB but has 16384-1024-4096-2048 = 9216 free: N+1 fails on fc.  fb: b1 → fa; onB (12288 MiB)
cannot, fc has 11264 free; off1 cannot, its secondary fd is offline.  fc: only plainC, lost.
fd is offline: not studied on its own.  rack:a = fa+fb: a1 and b1 lose both nodes.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from planner.capacity.failures import FailureOptions, failures
from planner.cli.commands.failures import command
from planner.io.htools_text import read_text
from tests.helpers import DATA

FILE = DATA / "failures-basic.data"


def _cases(**kw):
    return {c.label: c for c in failures(read_text(FILE), FailureOptions(restore=False, **kw)).cases}


def test_single_node_failures_hand_counted() -> None:
    c = _cases()
    assert sorted(c) == ["fa", "fb", "fc"]  # fd is already offline
    assert sorted(c["fa"].failovers) == [("a1", "fb"), ("a2", "fc")]
    assert [i for i, _ in c["fa"].lost] == ["plainA"] and "plain" in c["fa"].lost[0][1]
    assert c["fa"].n1_fail_after == ("fc",)
    assert c["fb"].failovers == [("b1", "fa")]
    assert dict(c["fb"].lost) == {"onB": "secondary lacks memory", "off1": "secondary offline"}
    assert c["fc"].failovers == [] and [i for i, _ in c["fc"].lost] == ["plainC"]
    assert c["fc"].n1_fail_after == ()


def test_rack_failure_loses_both_nodes_instances() -> None:
    c = _cases(fail=("rack:a",), nodes=False)["rack:a"]
    assert c.failed == ("fa", "fb")
    assert c.failovers == [("a2", "fc")]
    lost = dict(c.lost)
    assert lost["a1"] == lost["b1"] == "secondary failed too"
    assert lost["onB"] == "secondary lacks memory" and lost["off1"] == "secondary offline"
    assert len(lost) == 5


def test_score_after_is_worse_and_frame_has_a_row_per_case() -> None:
    rep = failures(read_text(FILE), FailureOptions(restore=False, fail=("fa,fc",)))
    df = rep.to_frame()
    assert list(df["failed"]) == ["fa", "fb", "fc", "fa,fc"]
    assert (df["score_after"] > df["score_before"]).all()
    assert list(df["lost"]) == [1, 2, 1, 3]


def test_restore_plan_recopies_the_failed_over_disks() -> None:
    """After fa's loss a1 and a2 (10000 MiB each) have their secondary on fa: the repair must copy both."""
    rep = failures(read_text(FILE), FailureOptions(time_limit=2.0, fail=(), nodes=True))
    fa = next(c for c in rep.cases if c.label == "fa")
    assert fa.restore is not None and fa.restore.status in ("optimal", "feasible")
    assert fa.restore.moves >= 2 and fa.restore.gb >= 2 * 10000 / 1024 - 1e-9
    assert fa.restore.hours > 0


def test_cli_json_and_bad_fail_spec() -> None:
    r = CliRunner().invoke(command, [str(FILE), "--json", "--no-restore", "--only-fail", "--fail", "fb"])
    assert r.exit_code == 0, r.output
    (case,) = json.loads(r.stdout)
    assert case["failover_to"] == {"b1": "fa"} and set(case["lost_instances"]) == {"onB", "off1"}
    bad = CliRunner().invoke(command, [str(FILE), "--fail", "nope", "--no-restore"])
    assert bad.exit_code != 0
