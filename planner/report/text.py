"""hbal-style text for a Plan: move lines, the ``-C`` command listing, a runnable shell script.

Names are shown as hbal shows them: with the cluster's common domain suffix stripped.

>>> from planner.domain.plan import Plan, Step, jobs_in
>>> p = Plan("greedy", 46.9, 26.5, [Step("inst-p2", "frf", "node-E", "node-3", "node-1", "node-3",
...                                      0.9765625, 26.52581735)])
>>> print(move_line(p.steps[0], 1, 7, 6))
    1. inst-p2 node-E:node-3 => node-1:node-3  26.52581735 a=f r:node-1 f
>>> print(commands_text(p))
<BLANKLINE>
Commands to run to reach the above solution:
<BLANKLINE>
  echo jobset 1, 1 jobs
    echo job 1/1
    gnt-instance migrate -f inst-p2
    gnt-instance replace-disks -n node-1 inst-p2
    gnt-instance migrate -f inst-p2
"""

from __future__ import annotations

from collections.abc import Callable

from planner.domain.plan import Plan, Step, jobs_in

SCRIPT_HEADER = """#!/bin/sh

# Auto-generated script for executing cluster rebalancing

# To stop, touch the file /tmp/stop-htools

set -e

check() {
  if [ -f /tmp/stop-htools ]; then
    echo 'Stop requested, exiting'
    exit 0
  fi
}

"""


def suffix_stripper(suffix: str) -> Callable[[str], str]:
    """A function stripping the common domain suffix (hbal's aliases)."""
    def strip(name: str) -> str:
        return name[: len(name) - len(suffix)] if suffix and name.endswith(suffix) else name
    return strip


def move_line(step: Step, pos: int, imlen: int, nmlen: int, alias=lambda n: n) -> str:
    """hbal's ``printSolutionLine``."""
    old = alias(step.from_primary) + (f":{alias(step.from_secondary)}" if step.from_secondary else "")
    new = alias(step.to_primary) + (f":{alias(step.to_secondary)}" if step.to_secondary else "")
    w = 2 * nmlen + 1
    score = step.score if step.score is not None else float("nan")
    return f"  {pos:3d}. {alias(step.instance):<{imlen}} {old:<{w}} => {new:<{w}} {score:12.8f} " \
           f"a={step.move_text(alias)}"


def jobs_text(plan: Plan, alias=lambda n: n, first_only: bool = False) -> list[str]:
    """hbal's ``formatCmds`` lines (with the ``  check`` lines of the script form); consecutive
    steps of one instance in a jobset are one job."""
    out: list[str] = []
    sets = plan.jobsets[:1] if first_only else plan.jobsets
    for j, ks in enumerate(sets, start=1):
        jobs = jobs_in(ks, plan.steps)
        for n, job in enumerate(jobs, start=1):
            if n == 1:
                out += ["", f"echo jobset {j}, {len(jobs)} jobs"]
            out += [f"  echo job {j}/{n}", "  check"]
            out += ["  " + c for k in job for c in plan.steps[k].commands(alias)]
    return out


def commands_text(plan: Plan, alias=lambda n: n, first_only: bool = False) -> str:
    """What ``hbal -C`` prints after the moves."""
    head = "First set of jobs:" if first_only else "Commands to run to reach the above solution:"
    body = ["  " + line for line in jobs_text(plan, alias, first_only) if line != "  check"]
    return "\n".join(["", head, *body])


def parallel_jobs_text(plan: Plan, alias=lambda n: n) -> list[str]:
    """Jobsets whose jobs run at the same time (one background subshell each); the script
    waits for all of a jobset's jobs and stops at the first failure."""
    out: list[str] = []
    for j, ks in enumerate(plan.jobsets, start=1):
        jobs = jobs_in(ks, plan.steps)
        out += ["", f"echo jobset {j}, {len(jobs)} jobs", "check", "pids="]
        for n, job in enumerate(jobs, start=1):
            cmds = " && ".join(c for k in job for c in plan.steps[k].commands(alias))
            out.append(f"( echo job {j}/{n}; {cmds} ) & pids=\"$pids $!\"")
        out.append('for p in $pids; do wait "$p" || { echo "a job of jobset ' + str(j) + ' failed"; exit 1; }; done')
    return out


def script_text(plan: Plan, alias=lambda n: n, parallel: bool = False) -> str:
    """A ``/bin/sh`` script running the jobsets in order, stopping if /tmp/stop-htools exists;
    with ``parallel`` the jobs of a jobset run at the same time."""
    lines = parallel_jobs_text(plan, alias) if parallel else jobs_text(plan, alias)
    return SCRIPT_HEADER + ("\n".join(lines) + "\n" if lines else "")


def hbal_text(plan: Plan, imlen: int, nmlen: int, alias=lambda n: n) -> list[str]:
    """The move lines and closing lines as hbal prints them."""
    out = [move_line(s, k, imlen, nmlen, alias) for k, s in enumerate(plan.steps, start=1)]
    if not plan.steps:
        out.append("No solution found")
    else:
        out.append(f"Cluster score improved from {plan.initial_score:.8f} to {plan.final_score:.8f}")
    out.append(f"Solution length={len(plan.steps)}")
    return out


def hs_g6(x: float) -> str:
    """Haskell's ``printf "%.6g"``: fixed with 6 decimals for 0 and 0.1 ≤ |x| < 1e7, else
    mantissa with 6 decimals and an unpadded exponent.

    >>> hs_g6(46.945392530), hs_g6(0.0), hs_g6(1e-9), hs_g6(0.03125)
    ('46.945393', '0.000000', '1.000000e-9', '3.125000e-2')
    """
    if x == 0 or 0.1 <= abs(x) < 1e7:
        return f"{x:.6f}"
    mant, exp = f"{x:.6e}".split("e")
    return f"{mant}e{int(exp)}"


def hbal_preamble(n_nodes: int, n_insts: int, gs, rep, force: bool) -> list[str]:
    """What hbal prints before the moves (default verbosity)."""
    bad = set(rep.n1_fail_nodes)
    policy_bad = [n for n in gs.nodes if n.name not in bad
                  and (n.inst_spindles > n.hi_spindles or n.p_cpu > n.vcpu_ratio)]
    out = [f"Loaded {n_nodes} nodes, {n_insts} instances",
           f"Group size {len(gs.nodes)} nodes, {len(gs.group_instances)} instances",
           f"Selected node group: {gs.group_name}",
           f"Initial check done: {len(rep.n1_fail_nodes)} bad nodes, {rep.n1_bad_instances} bad instances."]
    if bad:
        out.append("Cluster is not N+1 happy, continuing but no guarantee that the cluster will end "
                   "N+1 happy.")
    if policy_bad:
        out.append(f"The cluster contains {len(policy_bad)} policy-violating nodes.")
        out.append("Continuing, ignoring soft errors." if force else
                   "Continuing, but the set of moves might be too restricted; "
                   "consider using the --ignore-soft-errors option.")
    out.append(f"Initial score: {rep.score:.8f}")
    return out


def balanced_message(initial: float, optimal: float, min_score: float) -> list[str]:
    """hbal's "already well balanced" exit message."""
    return [f"Cluster is already well balanced (initial score {hs_g6(initial)},",
            f"optimum score due to N+1 reservations {hs_g6(optimal)},",
            f"minimum score {hs_g6(min_score)}).", "Nothing to do, exiting"]


def alias_of(cluster) -> Callable[[str], str]:
    """The cluster's alias function: names with the common domain suffix stripped, as hbal prints them."""
    from planner.engine.state import common_suffix

    return suffix_stripper(common_suffix([n.name for n in cluster.nodes] + [i.name for i in cluster.instances]))
