"""CLI pieces for scheduling a plan: options, the schedule and day-plan text, ``--save-steps``."""

from __future__ import annotations

from pathlib import Path

import click

from planner.cli.params import NON_NEGATIVE, POSITIVE, SECONDS, Count, Window
from planner.domain.errors import PlannerError
from planner.domain.plan import Plan, jobs_in
from planner.domain.schedule import Timing, jobsets_seconds
from planner.execution.dayplan import Day, pack, parse_window

SCHEDULE_KEYS = ("jobsets", "bandwidth", "migration_seconds", "replace_overhead", "max_per_node", "jobs_per_day",
                 "window", "schedule_time_limit", "save_steps", "day_plan")


def schedule_options(f):
    """Options shared by ``balance`` and ``sequence``."""
    opts = [
        click.option("--jobsets", type=click.Choice(["hbal", "parallel"]), default=None,
                     help="hbal's jobsets, or the safe parallel schedule's [default: hbal for greedy]."),
        click.option("--bandwidth", type=POSITIVE, default=100.0, show_default=True, help="Resync MB/s per copy."),
        click.option("--migration-seconds", type=NON_NEGATIVE, default=60.0, show_default=True),
        click.option("--replace-overhead", type=NON_NEGATIVE, default=480.0, show_default=True,
                     help="Fixed seconds per replace-disks."),
        click.option("--max-per-node", type=Count(1), default=1, show_default=True,
                     help="Jobs a node runs at once (old secondaries excepted)."),
        click.option("--jobs-per-day", type=Count(1), default=None, help="Day plan: at most N jobs a day."),
        click.option("--window", type=Window(), default=None, help="Day plan: maintenance window HH:MM-HH:MM."),
        click.option("--day-plan", is_flag=True, help="Print the schedule and day plan."),
        click.option("--schedule-time-limit", type=SECONDS, default=2.0, show_default=True,
                     help="CP-SAT seconds for the makespan."),
        click.option("--save-steps", default=None, metavar="DIR",
                     help="Write the cluster after every step to DIR (htools text)."),
    ]
    for o in reversed(opts):
        f = o(f)
    return f


def pop_schedule_options(kw: dict) -> dict:
    out = {k: kw.pop(k) for k in SCHEDULE_KEYS}
    if out["max_per_node"] < 1 or out["bandwidth"] <= 0:
        raise PlannerError("--max-per-node/--bandwidth", None, "must be positive")
    if out["jobs_per_day"] is not None and out["jobs_per_day"] < 1:
        raise PlannerError("--jobs-per-day", None, "must be at least 1")
    out["window_s"] = parse_window(out["window"])
    out["day_plan"] = out["day_plan"] or out["jobs_per_day"] is not None or out["window"] is not None
    return out


def timing_of(so: dict) -> Timing:
    return Timing(so["bandwidth"], so["replace_overhead"], so["migration_seconds"], so["max_per_node"])


def apply_schedule(cluster, plan: Plan, so: dict, load_opts, optimise: bool = True) -> list[Day]:
    """Schedule ``plan`` as the options say (greedy plans keep hbal's jobsets unless asked);
    the day plan of its jobsets.  Without ``optimise`` (nothing prints the makespan) the
    verified list schedule is kept and CP-SAT is not run."""
    from planner.api import schedule_plan

    mode = so["jobsets"] or ("hbal" if plan.method == "greedy" else "parallel")
    limit = so["schedule_time_limit"] if optimise or mode == "parallel" else 0.0
    schedule_plan(cluster, plan, timing_of(so), mode, limit, load_opts=load_opts)
    dur = [plan.schedule.timing.duration(s) for s in plan.steps]
    return pack(plan.jobsets, dur, so["jobs_per_day"], so["window_s"], plan.steps)


def _h(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def schedule_lines(plan: Plan, days: list[Day], so: dict) -> list[str]:
    """The schedule summary and the day plan, as text."""
    s = plan.schedule
    t = s.timing
    n_jobs = sum(len(jobs_in(js, plan.steps)) for js in plan.jobsets)
    jobsets_s = jobsets_seconds(plan.steps, plan.jobsets, t)
    out = ["", f"Schedule ({t.max_per_node} job(s) per node at once; replace-disks {t.replace_overhead_s:.0f} s "
               f"+ GB at {t.bandwidth_mb_s:.0f} MB/s; migration {t.migration_s:.0f} s):",
           f"  {len(plan.steps)} moves as {n_jobs} jobs in {len(plan.jobsets)} jobsets: {_h(jobsets_s)} running "
           "the jobsets in order, "
           f"{_h(s.makespan_s)} free-running ({s.status}), {_h(s.serial_s)} one job at a time"]
    if plan.extra.get("schedule_warning"):
        out.append(f"  parallel schedule refused ({plan.extra['schedule_warning']}); one job at a time")
    if not days:
        return out
    budget = f"{so['jobs_per_day']} jobs a day" if so["jobs_per_day"] else "no job limit"
    out += ["", f"Day plan ({budget}, window {so['window'] or '00:00-24:00'}): {len(days)} day(s)"]
    first = {j: n for n, js in enumerate(plan.jobsets, start=1) for j in js}
    for d in days:
        start, end = d.start_end(so["window_s"])
        sets = sorted({first[j] for j in d.jobs})
        span = f"{sets[0]}" if len(sets) == 1 else f"{sets[0]}-{sets[-1]}"
        gb = sum(plan.steps[j].gb_copied for j in d.jobs)
        names = ", ".join(plan.steps[j].instance for j in d.jobs[:4]) + (", …" if len(d.jobs) > 4 else "")
        flag = "  (longer than the window)" if d.overrun else ""
        out.append(f"  day {d.day:2d}  {start}-{end}  jobsets {span:<7} {d.n_jobs:3d} jobs {gb:8.0f} GB  "
                   f"{names}{flag}")
    return out


def days_json(days: list[Day], plan: Plan, window: tuple[int, int]) -> list[dict]:
    return [{"day": d.day, "start": d.start_end(window)[0], "end": d.start_end(window)[1], "steps": d.jobs,
             "jobs": d.n_jobs,
             "instances": [plan.steps[j].instance for j in d.jobs], "hours": d.used_s / 3600,
             "gb": sum(plan.steps[j].gb_copied for j in d.jobs), "overrun": d.overrun} for d in days]


def save_steps(cluster, plan: Plan, directory: str, inputs: tuple[str, ...]) -> int:
    """Write the cluster after each step (``step-001.data`` …); returns the number of files."""
    from planner.domain.placement import apply_placement, placement_after
    from planner.io.htools_write import save_text

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for k in range(1, len(plan.steps) + 1):
        state = apply_placement(cluster, placement_after(cluster, plan.steps[:k]))
        save_text(state, str(out / f"step-{k:03d}.data"), inputs=inputs)
    return len(plan.steps)
