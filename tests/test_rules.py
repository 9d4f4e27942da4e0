"""Each rule of planner.checks.rules on tiny hand-made clusters: one case that breaks it, one that does not."""

from __future__ import annotations

import random

import pytest

from planner.checks.rules import (
    PRIMARY,
    SECONDARY,
    MoveCheck,
    Placing,
    RuleConfig,
    add_role,
    disk,
    drbd_distinct_nodes,
    exclusion_tags,
    exclusive_spindles,
    forthcoming_capacity,
    instance_exclusion_tags,
    memory,
    migration_tags,
    movable,
    n1,
    node_usages,
    remove_role,
    same_group,
    secondary_memory,
    spindle_ratio,
    target_online,
    vcpu_ratio,
)
from planner.domain.model import Cluster
from planner.domain.placement import apply_placement
from planner.engine.load import load_group
from planner.engine.state import LoadOptions
from planner.io.htools_text import parse_text, read_text
from tests.helpers import BENCH, DATA, NO_BENCH

DEFAULT = RuleConfig()
POLICY = "g|128,1,1024,1,1,1|128,1,1024,1,1,1;32768,8,1048576,16,8,12|drbd,plain,ext|{cpu}|{sp}"


def cluster(nodes: str, insts: str, tags: str = "", cpu: float = 4.0, sp: float = 32.0,
            groups: str = "g|u1|preferred||") -> Cluster:
    """A cluster from node and instance lines (htools text), with a group policy."""
    sections = [groups, nodes.strip(), insts.strip(), tags.strip(), POLICY.format(cpu=cpu, sp=sp)]
    lines: list[str] = []
    for sec in sections:
        lines += (sec.splitlines() if sec else []) + [""]
    return parse_text("\n".join(lines[:-1]) + "\n", "inline.data")


NODES3 = """
nA|4096|0|4096|100000|100000|4|N|u1|1
nB|8192|0|8192|100000|100000|4|N|u1|1
nC|8192|0|8192|100000|100000|4|N|u1|1
"""


def placing(c: Cluster, inst: str, node: str, role: str, *, force: bool = False, pnode: str | None = None,
            config: RuleConfig = DEFAULT) -> Placing:
    """``inst`` placed on ``node`` in ``role``, as an hbal primitive sees it."""
    u = node_usages(c, config)
    j = [i.name for i in c.instances].index(inst)
    i, excl, k = c.instances[j], instance_exclusion_tags(c, config)[j], c.node_index(node)
    before = u[k]
    if i.pnode == k:
        before = remove_role(before, i, PRIMARY, excl)
    if i.snode == k:
        before = remove_role(before, i, SECONDARY, excl, i.pnode)
    p = c.node_index(pnode) if pnode else k
    return Placing(i, excl, role, before, add_role(before, i, role, excl, p), force)


def move(c: Cluster, inst: str, kind: str, new: tuple[str, str], force: bool = False) -> MoveCheck:
    i = next(x for x in c.instances if x.name == inst)
    ix = tuple(c.node_index(n) if n else -1 for n in new)
    return MoveCheck(i, kind, (i.pnode, i.snode), ix, node_usages(c), force)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- placements

def test_memory_hard() -> None:
    c = cluster(NODES3, "big|5000|1000|1|running|Y|nB|nC|drbd||1\nsmall|1000|1000|1|running|Y|nB|nC|drbd||1")
    v = memory(placing(c, "big", "nA", PRIMARY, force=True))
    assert v is not None and v.hard and v.node == "nA" and "-904 MiB" in v.message
    assert memory(placing(c, "small", "nA", PRIMARY)) is None
    assert memory(placing(c, "big", "nA", SECONDARY, pnode="nB")) is None  # secondaries hold no memory


def test_memory_follows_hbal_missing_memory() -> None:
    # nA reports 2000 MiB free although nothing runs there: x_mem = 2096 stays missing
    c = cluster(NODES3.replace("nA|4096|0|4096", "nA|4096|0|2000"), "i|2000|10|1|running|Y|nB|nC|drbd||1")
    p = placing(c, "i", "nA", PRIMARY)
    assert (p.before.unallocated, p.after.unallocated) == (2000, 0)
    assert memory(p) is not None


def test_disk_hard_and_min_disk_soft() -> None:
    c = cluster(NODES3, "fat|100|150000|1|running|Y|nB|nC|drbd||1\nthin|100|60000|1|running|Y|nB|nC|drbd||1")
    v = disk(placing(c, "fat", "nA", SECONDARY, pnode="nB", force=True))
    assert v is not None and v.hard and "-50000 MiB free disk" in v.message
    assert disk(placing(c, "thin", "nA", PRIMARY)) is None
    reserve = RuleConfig(min_disk=0.5)
    v = disk(placing(c, "thin", "nA", PRIMARY, config=reserve))
    assert v is not None and not v.hard and "min-disk" in v.message
    assert disk(placing(c, "thin", "nA", PRIMARY, config=reserve, force=True)) is None


def test_disk_ignores_external_storage() -> None:
    c = cluster(NODES3, "e|100|900000|1|running|Y|nB||ext||1")
    assert disk(placing(c, "e", "nA", PRIMARY)) is None


def test_exclusive_spindles_hard() -> None:
    nodes = NODES3.replace("nA|4096|0|4096|100000|100000|4|N|u1|1", "nA|4096|0|4096|100000|100000|4|N|u1|2||Y|1")
    c = cluster(nodes, "two|100|100|1|running|Y|nB|nC|drbd||1|2\none|100|100|1|running|Y|nB|nC|drbd||1|1\n"
                "unk|100|100|1|running|Y|nB|nC|drbd||1|-")
    v = exclusive_spindles(placing(c, "two", "nA", PRIMARY, force=True))
    assert v is not None and v.hard and "-1 free spindles" in v.message
    assert exclusive_spindles(placing(c, "one", "nA", PRIMARY)) is None
    assert exclusive_spindles(placing(c, "unk", "nA", PRIMARY)) is not None  # unknown spindles: hbal forces -1


def test_spindle_ratio_soft() -> None:
    c = cluster(NODES3, "a|100|100|1|running|Y|nA|nB|drbd||1\nb|100|100|1|running|Y|nB|nC|drbd||1", sp=1.0)
    v = spindle_ratio(placing(c, "b", "nA", PRIMARY))
    assert v is not None and not v.hard and "2 spindles, over 1" in v.message
    assert spindle_ratio(placing(c, "b", "nA", PRIMARY, force=True)) is None
    c2 = cluster(NODES3, "a|100|100|1|running|Y|nA|nB|drbd||1\nb|100|100|1|running|Y|nB|nC|drbd||1", sp=2.0)
    assert spindle_ratio(placing(c2, "b", "nA", PRIMARY)) is None
    assert spindle_ratio(placing(c2, "a", "nC", SECONDARY, pnode="nA")) is None  # 2 <= 2


def test_secondary_memory_soft() -> None:
    nodes = NODES3.replace("nA|4096|0|4096", "nA|4096|0|1096")
    c = cluster(nodes, "h|3000|10|1|running|Y|nA||plain||1\nbig|2000|10|1|running|Y|nB|nC|drbd||1\n"
                "noab|2000|10|1|running|N|nB|nC|drbd||1\neq|1096|10|1|running|Y|nB|nC|drbd||1\n"
                "less|1095|10|1|running|Y|nB|nC|drbd||1")
    v = secondary_memory(placing(c, "big", "nA", SECONDARY, pnode="nB"))
    assert v is not None and not v.hard and "1096 MiB unallocated" in v.message
    assert secondary_memory(placing(c, "eq", "nA", SECONDARY, pnode="nB")) is not None  # hbal: need >= free
    assert secondary_memory(placing(c, "less", "nA", SECONDARY, pnode="nB")) is None
    assert secondary_memory(placing(c, "noab", "nA", SECONDARY, pnode="nB")) is None  # auto_balance=N
    assert secondary_memory(placing(c, "big", "nA", SECONDARY, pnode="nB", force=True)) is None


def test_n1_new_failure_soft() -> None:
    c = cluster(NODES3, "s|2000|10|1|running|Y|nB|nA|drbd||1\nbig|2500|10|1|running|Y|nB|nC|drbd||1\n"
                "ok|1000|10|1|running|Y|nB|nC|drbd||1")
    v = n1(placing(c, "big", "nA", PRIMARY))
    assert v is not None and not v.hard and "1596 MiB unallocated <= 2000 MiB reserved" in v.message
    assert n1(placing(c, "ok", "nA", PRIMARY)) is None
    assert n1(placing(c, "big", "nA", PRIMARY, force=True)) is None


def test_n1_already_failing_node_may_stay_failing() -> None:
    # nA reports 1500 free but must absorb 2000 from nB: failing at load (f_mem < r_mem)
    c = cluster(NODES3.replace("nA|4096|0|4096", "nA|4096|0|1500"),
                "s|2000|10|1|running|Y|nB|nA|drbd||1\nx|100|10|1|running|Y|nB|nC|drbd||1")
    p = placing(c, "x", "nA", PRIMARY)
    assert p.before.fail_n1 and n1(p) is None


def test_n1_uses_hbals_two_formulas() -> None:
    # f_mem == r_mem: not failing by the load formula (<), failing once touched (<=), htools-core §3.3
    c = cluster(NODES3.replace("nA|4096|0|4096", "nA|4096|0|2000"),
                "s|2000|10|1|running|Y|nB|nA|drbd||1\ndown|500|10|1|ADMIN_down|Y|nB|nC|drbd||1")
    p = placing(c, "down", "nA", PRIMARY)  # uses no memory, yet touches nA
    assert not p.before.fail_n1 and p.after.unallocated == p.before.unallocated == 2000
    v = n1(p)
    assert v is not None and v.rule == "n1"


def test_vcpu_ratio_soft() -> None:
    c = cluster(NODES3.replace("|4|N|u1|1\n", "|2|N|u1|1\n", 1),
                "four|100|10|4|running|Y|nB|nC|drbd||1\nthree|100|10|3|running|Y|nB|nC|drbd||1\n"
                "off|100|10|8|ADMIN_offline|Y|nB|nC|drbd||1", cpu=2.0)
    v = vcpu_ratio(placing(c, "four", "nA", PRIMARY))
    assert v is not None and not v.hard and "5 vCPUs on 2 CPUs" in v.message
    assert vcpu_ratio(placing(c, "three", "nA", PRIMARY)) is None  # exactly at the ratio
    assert vcpu_ratio(placing(c, "off", "nA", PRIMARY)) is None  # ADMIN_offline vCPUs do not count
    assert vcpu_ratio(placing(c, "four", "nA", PRIMARY, config=RuleConfig(max_cpu=3.0))) is None


def test_exclusion_tags_soft() -> None:
    c = cluster(NODES3, "w1|100|10|1|running|Y|nB|nC|drbd|svc:web|1\nw2|100|10|1|running|Y|nA|nC|drbd|svc:web|1\n"
                "d1|100|10|1|running|Y|nA|nC|drbd|svc:db|1", tags="htools:iextags:svc")
    v = exclusion_tags(placing(c, "w2", "nB", PRIMARY))
    assert v is not None and not v.hard and "svc:web" in v.message
    assert exclusion_tags(placing(c, "d1", "nB", PRIMARY)) is None
    assert exclusion_tags(placing(c, "w2", "nB", SECONDARY, pnode="nA")) is None  # secondaries do not count
    plain = cluster(NODES3, "w1|100|10|1|running|Y|nB|nC|drbd|svc:web|1\nw2|100|10|1|running|Y|nA|nC|drbd|svc:web|1")
    assert exclusion_tags(placing(plain, "w2", "nB", PRIMARY)) is None  # no htools:iextags: no exclusion tag
    cli = RuleConfig(exclusion_tags=("svc",))
    assert exclusion_tags(placing(plain, "w2", "nB", PRIMARY, config=cli)) is not None


def test_forthcoming_capacity_counts_down_instances() -> None:
    # 3000 MiB of a stopped instance: hbal's "forth" free memory is 1096, recorded free memory 4096
    c = cluster(NODES3, "down|3000|10|1|ADMIN_down|Y|nA|nB|drbd||1\nr2|2000|10|1|running|Y|nB|nC|drbd||1\n"
                "r1|1000|10|1|running|Y|nB|nC|drbd||1")
    p = placing(c, "r2", "nA", PRIMARY)
    assert memory(p) is None and p.after.unallocated == 2096
    v = forthcoming_capacity(p)
    assert v is not None and not v.hard and "-904 MiB free memory" in v.message
    assert forthcoming_capacity(placing(c, "r1", "nA", PRIMARY)) is None


# ------------------------------------------------------------------------------- step rules

def test_movable() -> None:
    c = cluster(NODES3, "p|100|10|1|running|Y|nA||plain||1\nd|100|10|1|running|N|nA|nB|drbd||1\n"
                "e|100|10|1|running|Y|nA||ext||1")
    v = movable(move(c, "p", "fa", ("nB", "")))
    assert v is not None and v.hard and "plain" in v.message
    v = movable(move(c, "d", "f", ("nB", "nA")))
    assert v is not None and not v.hard and "auto_balance" in v.message
    assert movable(move(c, "d", "f", ("nB", "nA"), force=True)) is None
    assert movable(move(c, "e", "fa", ("nB", ""))) is None


def test_same_group() -> None:
    groups = "g|u1|preferred||\nh|u2|preferred||"
    c = cluster(NODES3.replace("nC|8192|0|8192|100000|100000|4|N|u1", "nC|8192|0|8192|100000|100000|4|N|u2"),
                "i|100|10|1|running|Y|nA|nB|drbd||1", groups=groups)
    v = same_group(move(c, "i", "r", ("nA", "nC")))
    assert v is not None and v.node == "nC"
    assert same_group(move(c, "i", "f", ("nB", "nA"))) is None


def test_drbd_distinct_nodes() -> None:
    c = cluster(NODES3, "i|100|10|1|running|Y|nA|nB|drbd||1")
    v = drbd_distinct_nodes(move(c, "i", "r", ("nA", "nA")))
    assert v is not None and "both primary and secondary" in v.message
    v = drbd_distinct_nodes(move(c, "i", "rf", ("nB", "nA")))
    assert v is not None and "already holds" in v.message
    assert drbd_distinct_nodes(move(c, "i", "r", ("nA", "nC"))) is None
    assert drbd_distinct_nodes(move(c, "i", "f", ("nB", "nA"))) is None


def test_target_online() -> None:
    nodes = NODES3.replace("nC|8192|0|8192|100000|100000|4|N", "nC|8192|0|8192|100000|100000|4|Y")
    c = cluster(nodes, "i|100|10|1|running|Y|nA|nB|drbd||1\nj|100|10|1|running|Y|nA|nC|drbd||1")
    v = target_online(move(c, "i", "r", ("nA", "nC")))
    assert v is not None and v.node == "nC"
    assert target_online(move(c, "j", "f", ("nC", "nA"))) is not None  # would run on offline nC
    assert target_online(move(c, "j", "r", ("nA", "nB"))) is None  # leaving nC is fine


def test_migration_tags() -> None:
    nodes = "nA|4096|0|4096|100000|100000|4|N|u1|1|hv:a\nnB|4096|0|4096|100000|100000|4|N|u1|1|hv:b\n" \
            "nC|4096|0|4096|100000|100000|4|N|u1|1|hv:a"
    tags = "htools:migration:hv\nhtools:allowmigration:hv:a::hv:b"
    c = cluster(nodes, "i|100|10|1|running|Y|nB|nA|drbd||1\nj|100|10|1|running|Y|nA|nB|drbd||1", tags)
    v = migration_tags(move(c, "i", "f", ("nA", "nB"), force=True))
    assert v is not None and v.hard and "hv:b" in v.message
    assert migration_tags(move(c, "j", "f", ("nB", "nA"))) is None  # hv:b accepts hv:a
    assert migration_tags(move(c, "i", "r", ("nB", "nC"))) is None  # replace-disks migrates nothing
    assert migration_tags(move(c, "i", "frf", ("nC", "nA"))) is not None  # first failover nB -> nA


# ------------------------------------------------------------------------------- accounting

def _fields(u) -> tuple:
    return (u.i_mem, u.unallocated, u.r_mem, u.f_dsk, u.u_cpu, u.inst_spindles, u.p_tags, u.f_mem_forth,
            u.f_dsk_forth, u.u_cpu_forth)


@pytest.mark.parametrize("path", [DATA / "two-groups.data", DATA / "offline.data",
                                  BENCH / "new-node-small-5n-73i-mimic.data"], ids=lambda p: p.name)
def test_accounting_matches_scorer_state_after_random_moves(path) -> None:
    if not path.exists():
        pytest.skip(NO_BENCH)
    c = read_text(path)
    rng = random.Random(7)
    drbd = [j for j, i in enumerate(c.instances) if i.disk_template == "drbd"]
    placement: dict[int, tuple[int, int]] = {}
    for j in rng.sample(drbd, min(10, len(drbd))):
        i = c.instances[j]
        same = [k for k, n in enumerate(c.nodes) if n.group == c.nodes[i.pnode].group]
        if len(same) >= 2:
            p, s = rng.sample(same, 2)
            placement[j] = (p, s)
    incremental = node_usages(c, placement=placement)
    moved = apply_placement(c, placement)
    fresh = node_usages(moved)
    for a, b in zip(incremental, fresh, strict=True):
        assert _fields(a) == _fields(b)
    for g in moved.nonempty_groups():
        for ns in load_group(moved, LoadOptions(group=g.name)).nodes:  # the scorer's own reading of the moved file
            u = fresh[ns.idx]
            assert (u.unallocated, u.r_mem, u.f_dsk, u.u_cpu) == (ns.unallocated, ns.r_mem, ns.f_dsk, ns.u_cpu)
            assert u.fail_n1 == ns.fail_n1
