"""hbal-style text for a Plan: move lines, the ``-C`` command listing, a runnable shell script.

Names are shown as hbal shows them: with the cluster's common domain suffix stripped.

>>> from planner.plan import Plan, Step
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

from planner.plan import Plan, Step

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
    """hbal's ``formatCmds`` lines (with the ``  check`` lines of the script form)."""
    out: list[str] = []
    sets = plan.jobsets[:1] if first_only else plan.jobsets
    for j, ks in enumerate(sets, start=1):
        for n, k in enumerate(ks, start=1):
            if n == 1:
                out += ["", f"echo jobset {j}, {len(ks)} jobs"]
            out += [f"  echo job {j}/{n}", "  check"]
            out += ["  " + c for c in plan.steps[k].commands(alias)]
    return out


def commands_text(plan: Plan, alias=lambda n: n, first_only: bool = False) -> str:
    """What ``hbal -C`` prints after the moves."""
    head = "First set of jobs:" if first_only else "Commands to run to reach the above solution:"
    body = ["  " + line for line in jobs_text(plan, alias, first_only) if line != "  check"]
    return "\n".join(["", head, *body])


def script_text(plan: Plan, alias=lambda n: n) -> str:
    """A ``/bin/sh`` script running the jobsets in order, stopping if /tmp/stop-htools exists."""
    lines = jobs_text(plan, alias)
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
