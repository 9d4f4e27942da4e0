"""Replay a Plan step by step from the initial cluster, checking every rule of :mod:`planner.checks.rules`.

The verifier shares no code with the planners: it keeps its own per-node accounting
(:class:`planner.checks.rules.NodeUsage`) and composes each move from hbal's primitives the way
``Cluster/Moves.hs: applyMoveEx`` does (htools-core §5.3): which node receives the instance in
which role, in which order, and which placements are forced (soft rules off) because the
instance leaves an offline node.  It stops at the first violation.

At the end it rescores the final placement twice: ``final_score`` is the score of the final
cluster as a file would load it (:func:`planner.api.score_cluster`), ``replay_score`` is the
score hbal itself prints after the same moves, where every node a move touched uses the
``unallocated <= r_mem`` N+1 formula instead of the load-time ``f_mem < r_mem`` (§3.2/3.3).

>>> from planner.io.htools_text import read_text
>>> c = read_text("tests/data/n1quirk.data")
>>> quirk = Plan("hand", 3.31686197, 4.76499112, [Step("i1", "r", "nodeA", "nodeB", "nodeA", "nodeC", 9.8)])
>>> r = verify(c, quirk)
>>> print(r.message())
plan verified: 1 steps, final score 2.76499112 (hbal's in-memory score 4.76499112)
>>> r.n1_fail_nodes_final, r.replay_score_matches
(['nodeA'], True)
>>> bad = Plan("hand", 0.0, 0.0, [Step("i2", "f", "nodeB", "nodeC", "nodeC", "nodeB", 0.0)])
>>> print(verify(c, bad).message())
step 1 (i2 f): from_nodes: i2 is on nodeB:nodeA, not on nodeB:nodeC
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from planner.checks.rules import (
    PRIMARY,
    SECONDARY,
    MoveCheck,
    NodeUsage,
    Placing,
    RuleConfig,
    Violation,
    add_role,
    check_move,
    check_placing,
    instance_exclusion_tags,
    movable,
    node_usages,
    remove_role,
)
from planner.domain.errors import PlannerError
from planner.domain.model import EXTERNAL_MIRROR_TEMPLATES, Cluster
from planner.domain.placement import apply_placement
from planner.domain.plan import SUBMOVES, Plan, Step
from planner.engine.score import compute_score
from planner.engine.state import LoadOptions, common_suffix, frac, resolve_names
from planner.engine.summary import load_selected, score_group

SCORE_TOLERANCE = 5e-9

#: Per move kind, the primitive placements of ``applyMoveEx`` in hbal's order:
#: (node: P/S/T, role, soft checks forced when: offP / offS / never / always, transient).
PLACINGS: dict[str, tuple[tuple[str, str, str, bool], ...]] = {
    "f": (("S", PRIMARY, "offP", False), ("P", SECONDARY, "offP", False)),
    "fa": (("T", PRIMARY, "offP", False),),
    "r": (("T", SECONDARY, "offS", False), ("P", PRIMARY, "always", False)),
    "rf": (("T", PRIMARY, "never", False), ("P", SECONDARY, "offS", False)),
    "fr": (("S", PRIMARY, "offP", False), ("T", SECONDARY, "offP", False)),
    "frf": (("S", PRIMARY, "offP", True), ("T", PRIMARY, "offP", False), ("S", SECONDARY, "offP", False)),
}


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on a plan; on a violation the final state is the one before the failing step."""

    ok: bool
    step: int | None  #: 1-based number of the failing step
    violation: Violation | None
    final_score: float  #: score of ``final_cluster`` loaded afresh
    final_cluster: Cluster
    n1_fail_nodes_final: list[str]  #: online nodes failing N+1 by hbal's flags after the replay
    replay_score: float = math.nan  #: hbal's in-memory score after the replay
    score_matches: bool = False  #: ``final_score`` equals the plan's final score (5e-9)
    replay_score_matches: bool = False  #: ``replay_score`` equals the plan's final score
    step_text: str = ""  #: e.g. ``inst-7 r:node-2``
    steps_checked: int = 0  #: steps that passed
    usages: list[NodeUsage] = field(default_factory=list, repr=False)

    def message(self) -> str:
        """One line for the CLI, e.g. ``step 3 (inst-7 r:node-2): disk: node-2 would have …``."""
        if self.ok:
            extra = "" if abs(self.replay_score - self.final_score) < SCORE_TOLERANCE else \
                f" (hbal's in-memory score {self.replay_score:.8f})"
            return f"plan verified: {self.steps_checked} steps, final score {self.final_score:.8f}{extra}"
        return f"step {self.step} ({self.step_text}): {self.violation}"


class _Names:
    """Name → index, by full name or by alias (the common domain suffix stripped)."""

    def __init__(self, names: list[str], suffix: str) -> None:
        self.idx = {n: k for k, n in enumerate(names)}
        for k, n in enumerate(names):
            if suffix and n.endswith(suffix):
                self.idx.setdefault(n[: -len(suffix)], k)

    def get(self, name: str) -> int | None:
        return self.idx.get(name)


def _config(cluster: Cluster, opts: LoadOptions) -> RuleConfig:
    offline = resolve_names(opts.offline_nodes, [n.name for n in cluster.nodes], "node")
    return RuleConfig(opts.min_disk, opts.max_cpu, tuple(opts.exclusion_tags), tuple(sorted(offline)))


def _new_nodes(kind: str, p: int, s: int, to_p: int, to_s: int) -> tuple[int, int, int] | str:
    """(new primary, new secondary, target) of a move, or why the step's to-nodes do not fit it."""
    if kind != "f" and (to_s if kind in ("r", "fr") else to_p) < 0:
        return f"{kind} needs a target node"
    if kind == "fa":
        return (to_p, -1, to_p) if to_s == -1 else "fa leaves no secondary"
    if s < 0:
        return f"{kind} needs an instance with a secondary"
    want = {"f": (s, p, s), "r": (p, to_s, to_s), "rf": (to_p, p, to_p), "fr": (s, to_s, to_s),
            "frf": (to_p, s, to_p)}[kind]
    if (want[0], want[1]) != (to_p, to_s):
        return {"f": "f swaps primary and secondary", "r": "r keeps the primary",
                "rf": "rf makes the old primary the secondary",
                "fr": "fr makes the old secondary the primary", "frf": "frf keeps the secondary"}[kind]
    return want


class Replay:
    """The replay state: node usages and placements; :meth:`step` checks and applies one Step."""

    def __init__(self, cluster: Cluster, config: RuleConfig, ignore_soft: bool, transient: bool) -> None:
        self.cluster = cluster
        self.usages = node_usages(cluster, config)
        self.excl = instance_exclusion_tags(cluster, config)
        self.place = [(i.pnode, i.snode) for i in cluster.instances]
        self.ignore_soft = ignore_soft
        self.transient = transient
        sfx = common_suffix([n.name for n in cluster.nodes] + [i.name for i in cluster.instances])
        self.nodes = _Names([n.name for n in cluster.nodes], sfx)
        self.insts = _Names([i.name for i in cluster.instances], sfx)

    def _v(self, rule: str, msg: str, inst: str = "", node: str = "") -> Violation:
        return Violation(rule, msg, True, node, inst)

    def step(self, st: Step) -> Violation | None:
        """The first violation of ``st`` in the current state, or None after applying it."""
        j = self.insts.get(st.instance)
        if j is None:
            return self._v("unknown_instance", f"no instance {st.instance!r} in the cluster", st.instance)
        want: list[int] = []
        for name in (st.from_primary, st.from_secondary, st.to_primary, st.to_secondary):
            k = self.nodes.get(name) if name else -1
            if k is None:
                return self._v("unknown_node", f"no node {name!r} in the cluster", st.instance, name)
            want.append(k)
        inst, (p, s) = self.cluster.instances[j], self.place[j]
        if (want[0], want[1]) != (p, s):
            now = self.usages[p].name + (":" + self.usages[s].name if s >= 0 else "")
            return self._v("from_nodes", f"{st.instance} is on {now}, not on "
                           f"{st.from_primary}{':' + st.from_secondary if st.from_secondary else ''}",
                           st.instance)
        if st.move not in PLACINGS:
            return self._v("move_kind", f"unknown move kind {st.move!r}", st.instance)
        new = _new_nodes(st.move, p, s, want[2], want[3])
        v = movable(MoveCheck(inst, st.move, (p, s), (p, s), self.usages, self.ignore_soft))
        if v is not None:
            return v
        external = inst.disk_template in EXTERNAL_MIRROR_TEMPLATES
        if external != (st.move == "fa"):
            return self._v("move_kind", f"{st.move} does not apply to a {inst.disk_template} instance",
                           st.instance)
        if isinstance(new, str):
            return self._v("move_kind", f"{new}: {st.move} does not lead to "
                           f"{st.to_primary}{':' + st.to_secondary if st.to_secondary else ''}", st.instance)
        if not self.transient or st.move == "fa":
            return self._move(j, st.move, new[2])
        saved = list(self.usages), self.place[j]
        # hbal relaxes the soft rules for a whole move that takes the instance off an offline node
        relax = (st.move in ("fr", "frf") and self.usages[p].offline) or \
            (st.move == "rf" and s >= 0 and self.usages[s].offline)
        for kind in SUBMOVES[st.move]:
            p, s = self.place[j]
            v = self._move(j, kind, s if kind == "f" else new[2], relax)
            if v is not None:
                self.usages, self.place[j] = saved
                return v
        return None

    def _move(self, j: int, kind: str, t: int, relax: bool = False) -> Violation | None:
        """Check and apply one move of instance ``j`` to target ``t`` (hbal's ``applyMoveEx``);
        ``relax``: soft rules off, as for the whole move this command belongs to."""
        inst, excl, u = self.cluster.instances[j], self.excl[j], self.usages
        soft_off = self.ignore_soft or relax
        p, s = self.place[j]
        new = _new_nodes(kind, p, s, *{"f": (s, p), "fa": (t, -1), "r": (p, t), "rf": (t, p),
                                       "fr": (s, t), "frf": (t, s)}[kind])
        assert not isinstance(new, str)
        new_p, new_s, _ = new
        off_p = u[p].offline
        off_s = s >= 0 and u[s].offline
        check = MoveCheck(inst, kind, (p, s), (new_p, new_s), u, soft_off or off_p)
        v = check_move(check)
        if v is not None:
            return v
        base = {p: remove_role(u[p], inst, PRIMARY, excl)}
        if s >= 0:
            base[s] = remove_role(u[s], inst, SECONDARY, excl, p)
        final = dict(base)
        keys = {"P": p, "S": s, "T": t}
        for key, role, when, transient in PLACINGS[kind]:
            k = keys[key]
            before = base.get(k, u[k])
            after = add_role(before, inst, role, excl, new_p)
            forced = {"offP": off_p, "offS": off_s, "never": False, "always": True}[when]
            placing = Placing(inst, excl, role, before, after, forced or soft_off,
                              ignore_disks=kind == "f" and role == SECONDARY and off_p)
            v = check_placing(placing)
            if v is not None:
                return v
            if not transient:
                final[k] = after
        for k, nu in final.items():
            self.usages[k] = nu
        self.place[j] = (new_p, new_s)
        return None


def _with_free_spindles(c: Cluster, usages: list[NodeUsage]) -> Cluster:
    """Exclusive-storage nodes report free spindles, which ``apply_placement`` leaves as loaded."""
    fix = {u.idx: u.f_spindles for u in usages if u.excl_stor and u.f_spindles != c.nodes[u.idx].free_spindles}
    if not fix:
        return c
    return c.replace(nodes=tuple(replace(n, free_spindles=fix[k]) if k in fix else n for k, n in enumerate(c.nodes)))


def verify(cluster: Cluster, plan: Plan, group: str | None = None, ignore_soft_errors: bool = False, *,
           opts: LoadOptions | None = None, transient: bool = False) -> VerifyResult:
    """Replay ``plan.steps`` from ``cluster`` with hbal's rules; stop at the first violation.

    ``group`` (default: ``plan.group``, else the only group) is the group to score;
    ``opts`` carries ``--min-disk``, ``--max-cpu``, ``--exclusion-tags`` and ``-O`` nodes;
    ``transient=True`` also checks the states between the ``gnt-instance`` commands of
    multi-command moves (``r:T f`` = replace-disks, then migrate), which hbal does not.
    """
    opts = opts or LoadOptions()
    group = group or opts.group or plan.group or None
    replay = Replay(cluster, _config(cluster, opts), ignore_soft_errors, transient)
    violation, failed, text = None, None, ""
    for n, st in enumerate(plan.steps, start=1):
        violation = replay.step(st)
        if violation is not None:
            failed, text = n, f"{st.instance} {st.move_text() if st.move in PLACINGS else st.move}"
            break
    changed = {j: pl for j, pl in enumerate(replay.place)
               if pl != (cluster.instances[j].pnode, cluster.instances[j].snode)}
    final = _with_free_spindles(apply_placement(cluster, changed), replay.usages)
    final_score = score_group(final, group, opts).score
    gs = load_selected(final, group, opts)
    for ns in gs.nodes:  # what hbal keeps in memory and a reload cannot know (path-dependent)
        u = replay.usages[ns.idx]
        ns.fail_n1 = u.fail_n1  # touched nodes use the <= formula
        if u.excl_stor:  # unknown spindles set free spindles to -1, then count on from there
            ns.f_spindles, ns.f_spindles_forth = u.f_spindles, u.f_spindles_forth
            ns.p_dsk, ns.p_dsk_forth = frac(u.f_spindles, ns.t_spindles), frac(u.f_spindles_forth, ns.t_spindles)
    replay_score = compute_score(gs.nodes)
    target = plan.final_score
    failing = [ns.name for ns in gs.nodes if not ns.offline and ns.fail_n1]
    return VerifyResult(
        ok=violation is None, step=failed, violation=violation, final_score=final_score,
        final_cluster=final, n1_fail_nodes_final=failing,
        replay_score=replay_score, score_matches=abs(final_score - target) < SCORE_TOLERANCE,
        replay_score_matches=abs(replay_score - target) < SCORE_TOLERANCE, step_text=text,
        steps_checked=len(plan.steps) if failed is None else failed - 1, usages=replay.usages)


class PlanRejected(PlannerError):
    """A planner produced a plan the independent verifier rejects (a planner bug: never shown)."""


def check_verified(cluster: Cluster, plan, load_opts: LoadOptions, ignore_soft_errors: bool = False) -> None:
    """Replay ``plan`` with the independent verifier (soft rules skipped only when asked);
    record the verdict or raise PlanRejected."""
    import time

    t0 = time.perf_counter()
    res = verify(cluster, plan, load_opts.group, ignore_soft_errors, opts=load_opts)
    timing = plan.extra.get("timing")
    if isinstance(timing, dict):  # the CP-SAT timeline's last phase
        timing.setdefault("phases", []).append({"phase": "verify", "wall_s": round(time.perf_counter() - t0, 3)})
    plan.extra["verified"] = res.ok
    plan.extra["verify"] = res.message()
    if not res.ok:
        raise PlanRejected(cluster.origin, None, f"{plan.method} plan failed verification: {res.message()}")
    if plan.steps and not res.replay_score_matches:
        raise PlanRejected(cluster.origin, None, f"{plan.method} plan says final score {plan.final_score:.8f}, "
                           f"the verifier's replay gives {res.replay_score:.8f}")
