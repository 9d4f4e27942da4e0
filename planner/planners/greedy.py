"""The hbal-faithful greedy balancer (``Cluster.tryBalance``, ``Hbal.iterateDepth``).

Each step tries every allowed move of every candidate instance from the same table and keeps
the lowest score (strictly lower wins, so ties go to the lowest instance index, then to the
earliest move in hbal's enumeration order).  Scores are exact (:mod:`planner.engine.fastscore`
only decides which candidates can possibly win; those are re-scored exactly).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.domain import clock as time  # wall seconds, or counted work (deterministic sweeps)
from planner.domain.plan import Plan, Step
from planner.domain.tolerance import GAIN_EPS
from planner.engine.fastscore import Scorer
from planner.engine.moves import MoveOptions, MoveResult, apply_move, candidate_moves, step_of
from planner.engine.n1 import optimal_score
from planner.engine.state import GroupState, InstState, NodeState


@dataclass(frozen=True)
class GreedyOptions:
    """hbal's balancing options (names as hbal's long options)."""

    max_length: int = -1  #: -l
    min_gain: float = 0.01  #: -g
    min_gain_limit: float = 0.1
    min_score: float = 1e-9  #: -e
    evac_mode: bool = False  #: -E
    time_limit: float | None = None  #: stop after this many seconds (status "timeout")
    max_gb: float | None = None  #: budget: GiB the plan may copy in all (not an hbal option)
    pool: int | None = None  #: not hbal: between full evaluations, only the N most promising instances
    reserve: float = 0.0  #: not hbal: no new primary where unallocated memory would fall below this share
    moves: MoveOptions = field(default_factory=MoveOptions)


@dataclass
class Table:
    """The greedy's working state: group nodes by cluster index and each instance's placement."""

    nodes: dict[int, NodeState]
    score: float


def candidate_instances(gs: GroupState, nodes: dict[int, NodeState], evac: bool) -> list[InstState]:
    out = []
    for k in gs.group_instances:
        st = gs.instances[k]
        if evac:
            alln = [st.pnode, st.snode] if st.inst.disk_template == "drbd" else [st.pnode]
            if not any(n in nodes and nodes[n].offline for n in alln if n >= 0):
                continue
        if st.movable and st.inst.auto_balance:
            out.append(st)
    return out


#: candidates whose approximate score is within this of the best are re-scored exactly
TOLERANCE = 1e-6


def evaluate_all(gs: GroupState, nodes: dict[int, NodeState], opts: GreedyOptions, chunk: int = 400,
                 only: list[InstState] | None = None):
    """Every feasible candidate move of the movable instances (or of ``only``), scored in numpy:
    ``(candidates, (score, hbal order key, row, kind code, target position))``, or None."""
    import numpy as np

    from planner.engine.vector import StepEvaluator, evaluate

    cands = candidate_instances(gs, nodes, opts.evac_mode) if only is None else only
    if not cands:
        return None
    parts = []
    for c0 in range(0, len(cands), chunk):
        ev = StepEvaluator(gs, nodes, opts.moves, cands[c0:c0 + chunk])
        a, key, row, kind, tpos = evaluate(ev, opts.moves.ignore_soft_errors)
        parts.append((a, key + c0 * (1 + 4 * len(ev.order)), row + c0, kind, tpos))
    return cands, tuple(np.concatenate(x) for x in zip(*parts, strict=True))


def _rank(cands: list[InstState], a, row, score: float, size: int) -> list[InstState]:
    """The ``size`` instances whose best move lowers ``score`` most, in hbal's instance order."""
    import numpy as np

    best = np.full(len(cands), np.inf)
    np.minimum.at(best, row, a)
    top = np.argsort(best, kind="stable")[:size]
    return [cands[r] for r in sorted(top[best[top] < score])]


def _reserve_mask(cands: list[InstState], nodes: dict[int, NodeState], order: list[int], moves, frac: float):
    """Moves that leave their new primary node less than ``frac`` of its memory unallocated: new
    nodes filled with big primaries can take no secondary after that (N+1), a trap for a greedy."""
    import numpy as np

    from planner.engine.vector import KIND_CODE

    row, kind, tpos = moves
    pos = {k: r for r, k in enumerate(order)}
    free = np.array([nodes[k].unallocated for k in order], dtype=float)
    forth = np.array([nodes[k].f_mem_forth for k in order], dtype=float)  # counts stopped ones too
    keep = np.array([nodes[k].t_mem for k in order], dtype=float) * frac
    mem = np.array([st.inst.mem if st.inst.uses_memory else 0 for st in cands], dtype=float)
    mem_f = np.array([st.inst.mem for st in cands], dtype=float)
    sec = np.array([pos.get(st.snode, -1) for st in cands])
    to_sec = (kind == KIND_CODE["f"]) | (kind == KIND_CODE["fr"])
    newp = np.where(to_sec, sec[row], np.where(kind == KIND_CODE["r"], -1, tpos))
    bad = np.zeros(len(row), dtype=bool)
    has = newp >= 0
    to, r = newp[has], row[has]
    bad[has] = np.minimum(free[to] - mem[r], forth[to] - mem_f[r]) < keep[to]
    return bad


def best_step_vector(gs: GroupState, table: Table, scorer: Scorer, opts: GreedyOptions,
                     chunk: int = 400, budget: float | None = None, only: list[InstState] | None = None,
                     pool: list | None = None) -> tuple[InstState, MoveResult, float] | None:
    """:func:`best_step` with every candidate scored in numpy, then the near-best re-scored
    exactly and ties broken in hbal's enumeration order.  ``only`` limits the instances tried;
    ``pool`` (a list) receives the ``opts.pool`` most promising instances."""
    import numpy as np

    from planner.engine.vector import KIND_CODE

    kinds = {v: k for k, v in KIND_CODE.items()}
    force = opts.moves.ignore_soft_errors
    found = evaluate_all(gs, table.nodes, opts, chunk, only)
    if found is None:
        return None
    cands, (a, key, row, kind, tpos) = found
    if budget is not None:
        disk = np.array([st.inst.dsk / 1024 for st in cands])[row]
        a = np.where((kind != KIND_CODE["f"]) & (disk > budget + GAIN_EPS), np.inf, a)
    order = [n.idx for n in gs.nodes]
    if opts.reserve > 0:
        a = np.where(_reserve_mask(cands, table.nodes, order, (row, kind, tpos), opts.reserve), np.inf, a)
    if pool is not None and opts.pool:
        pool[:] = _rank(cands, a, row, table.score, opts.pool)
    best: tuple[InstState, MoveResult, float] | None = None
    best_key = None
    best_score = table.score
    near = np.flatnonzero(a <= a.min() + 4 * TOLERANCE) if len(a) else a.astype(int)
    for j in near[np.lexsort((key[near], a[near]))]:
        if not a[j] <= best_score + TOLERANCE:
            break
        st = cands[row[j]]
        res = apply_move(table.nodes, st, kinds[int(kind[j])], order[tpos[j]] if tpos[j] >= 0 else -1,
                         force)
        if isinstance(res, str):
            raise AssertionError(f"vector/exact feasibility disagree on {st.inst.name} {res}")
        s = scorer.score_with(res.nodes)
        if s < best_score or (best is not None and s == best_score and key[j] < best_key):
            best, best_score, best_key = (st, res, s), s, key[j]
    return best


def best_step(gs: GroupState, table: Table, scorer: Scorer, opts: GreedyOptions,
              online: list[int], budget: float | None = None) -> tuple[InstState, MoveResult, float] | None:
    """hbal's ``checkMove``: the best single move from ``table``, or None."""
    force = opts.moves.ignore_soft_errors
    best: tuple[InstState, MoveResult, float] | None = None
    best_score = table.score
    for st in candidate_instances(gs, table.nodes, opts.evac_mode):
        for kind, t in candidate_moves(st, online, table.nodes, opts.moves):
            if budget is not None and kind not in ("f", "fa") and st.inst.dsk / 1024 > budget + GAIN_EPS:
                continue
            res = apply_move(table.nodes, st, kind, t, force)
            if isinstance(res, str):
                continue
            s = scorer.score_with(res.nodes)
            if best_score > s:
                best, best_score = (st, res, s), s
    return best


def balance(gs: GroupState, opts: GreedyOptions | None = None, on_step=None,
            vectorised: bool | None = None) -> Plan:
    """Run hbal's greedy loop on a loaded group; ``on_step(k, step)`` is called per accepted move.

    The instances' placements in ``gs`` are updated as moves are accepted.
    """
    opts = opts or GreedyOptions()
    t0 = time.perf_counter()
    nodes = {n.idx: n for n in gs.nodes}
    online = [n.idx for n in gs.nodes if not n.offline]
    scorer = Scorer(gs.nodes)
    table = Table(nodes, scorer.score_with({}))
    initial = table.score
    opt = optimal_score(gs.nodes)
    if vectorised is None:
        from planner.engine.vector import supported

        vectorised = supported(gs)
    steps: list[Step] = []
    status = "no-solution"
    pool: list[InstState] = []
    pooled = 0  #: steps taken from the pool since the last full evaluation
    if initial - opt < opts.min_score:
        status = "balanced"
    else:
        stop = opt + opts.min_score
        while (opts.max_length < 0 or len(steps) < opts.max_length) and table.score > stop:
            if opts.time_limit is not None and time.perf_counter() - t0 > opts.time_limit:
                status = "timeout"
                break
            budget = None if opts.max_gb is None else opts.max_gb - sum(x.gb_copied for x in steps)
            if not vectorised:
                found = best_step(gs, table, scorer, opts, online, budget)
            elif pool and pooled < max(10, opts.pool // 8):
                found = best_step_vector(gs, table, scorer, opts, budget=budget, only=pool)
                pooled += 1
            else:
                found = best_step_vector(gs, table, scorer, opts, budget=budget, pool=pool)
                pooled = 0
            old = table.score
            if found is None or not (found[2] < old and (old > opts.min_gain_limit or old - found[2] >= opts.min_gain)):
                if pooled:  # the pool is spent: evaluate everything again
                    pool.clear()
                    continue
                break
            st, res, new = found
            step = step_of(gs, st, res, new)
            steps.append(step)
            if on_step:
                on_step(len(steps), step)
            table.nodes.update(res.nodes)
            scorer.commit(res.nodes)
            table.score = new
            st.pnode, st.snode, st.location_score = res.pnode, res.snode, res.location_score
        if steps and status != "timeout":
            status = "feasible"
    gs.put_nodes(table.nodes)
    return Plan("greedy", initial, table.score, steps, status=status, wall_s=time.perf_counter() - t0,
                group=gs.group_name, extra={"optimal_score": opt},
                ignore_soft_errors=opts.moves.ignore_soft_errors)
