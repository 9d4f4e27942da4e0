"""``pl.capacity``, ``pl.whatif``, ``pl.failures``: checked against real hspace, the CLI, and hand counts.

tests/data/failures-basic.data (hand-counted, see tests/test_failures.py): losing ``fa`` fails a1 over
to fb and a2 over to fc, and plainA (plain, no secondary) is lost; fc then keeps 11264 - 2048 = 9216 MiB
free but must hold 12288 MiB for onB (fb fails → onB to fc): headroom 9216 - 12288 = -3072 MiB.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

import planner as pl
from tests.helpers import HSPACE, ROOT, oracle

BASIC = "tests/data/failures-basic.data"


def test_capacity_is_both_the_subpackage_and_the_facade_function() -> None:
    import planner.capacity.hspace as hspace

    assert callable(pl.capacity) and pl.capacity.hspace is hspace
    assert pl.capacity(BASIC, flavors=("small",), disk_template="plain").to_frame()["flavor"].tolist() == ["small"]


@oracle("hspace")
@pytest.mark.parametrize("flavor,template", [("small", "drbd"), ("large", "drbd"), ("web-plain", "plain")])
def test_capacity_counts_equal_real_hspace(flavor: str, template: str) -> None:
    path = ROOT / "scenarios/new-node-small-5n-73i-mimic.data"
    r = pl.capacity(path, flavors=flavor, disk_template=template)
    f = {"small": "20480,2048,1", "large": "81920,8192,4", "web-plain": "20480,2048,2"}[flavor]
    out = subprocess.run([HSPACE, "-t", str(path), "--standard-alloc", f, "--disk-template", template,
                          "--machine-readable"], capture_output=True, text=True, timeout=120).stdout
    assert r[flavor] == int(re.search(r"^HTS_ALLOC_INSTANCES=(\d+)$", out, re.M).group(1))
    why = re.search(r"^HTS_ALLOC_FAIL_REASON=(\w+)$", out, re.M).group(1)
    assert r.to_frame()["fail_reason"].iloc[0].upper() == why
    assert len(r.plot().axes[0].patches) == 1


def test_failures_by_hand() -> None:
    r = pl.failures(BASIC, restore=False)
    df = r.to_frame().set_index("failed")
    assert (df.loc["fa", "failovers"], df.loc["fa", "lost"]) == (2, 1)
    head = r.headroom_frame()
    assert head[(head.failed == "fa") & (head.node == "fc")]["headroom_mb"].item() == -3072
    # a negative headroom is a memory N+1 failure: every such node is in the case's N+1-failing list
    for case in r.report.cases:
        neg = {n for n, h in case.headroom if h < 0}
        assert neg <= set(case.n1_fail_after), (case.label, neg, case.n1_fail_after)
    fig = r.plot()
    # one bar slot per (failure, node that survives some failure)
    assert len(fig.axes[0].patches) == head.failed.nunique() * head.node.nunique() == 9
    assert "break N+1" in repr(r) and "<table>" in r._repr_html_()


def test_whatif_equals_the_cli(tmp_path) -> None:
    from click.testing import CliRunner

    from planner.cli.main import cli

    r = pl.whatif("scenarios/drain-node.yaml", time_limit=2, methods=("greedy",))
    out = CliRunner().invoke(cli, ["whatif", "scenarios/drain-node.yaml", "--method", "greedy", "--time-limit", "2",
                                   "--json"])
    assert out.exit_code == 0, out.output
    got = json.loads(out.output)
    assert got["after"]["score"] == pytest.approx(r.summary()["score after"], abs=1e-9)
    assert [x["moves"] for x in got["rebalance"]] == r.to_frame()["moves"].tolist()
    assert got["capacity"] == r.capacity_frame().to_dict("records")
    fig = r.plot()
    assert len(fig.axes) == 3 and "1 plan(s)" in repr(r)
