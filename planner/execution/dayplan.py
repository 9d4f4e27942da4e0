"""A day plan: the jobsets of a schedule packed into working days.

Operators run a rebalancing by hand, a few jobs a day inside a maintenance window.  Jobsets are
taken in order; a day takes whole jobsets while they fit its job budget (``--jobs-per-day``) and
its window (``--window HH:MM-HH:MM``); a jobset larger than what is left of the budget is split
(its jobs are independent).  A jobset longer than a whole window gets a day of its own and is
flagged as overrunning.

>>> parse_window("09:00-17:30")
(32400, 63000)
>>> w = (9 * 3600, 12 * 3600)
>>> [(d.jobs, d.overrun) for d in pack([[0, 1], [2], [3]], [3600, 1800, 7200, 600], 2, w)]
[([0, 1], False), ([2, 3], False)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from planner.domain.errors import PlannerError
from planner.domain.plan import jobs_in

FULL_DAY = (0, 24 * 3600)


def parse_window(text: str | None) -> tuple[int, int]:
    """``HH:MM-HH:MM`` → (start, end) in seconds after midnight; the end may be past midnight."""
    if not text:
        return FULL_DAY
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not m or int(m[1]) > 24 or int(m[3]) > 24 or int(m[2]) > 59 or int(m[4]) > 59:
        raise PlannerError("--window", None, f"'{text}' is not HH:MM-HH:MM")
    start, end = (int(m[1]) * 60 + int(m[2])) * 60, (int(m[3]) * 60 + int(m[4])) * 60
    if int(m[1]) > 23 or end > 24 * 3600:
        raise PlannerError("--window", None, f"'{text}': times are 00:00 to 23:59 (24:00 only as an end)")
    if start == end:
        raise PlannerError("--window", None, f"'{text}': the start and the end are the same time")
    if end <= start:
        end += 24 * 3600
    return start, end


def clock(seconds: float) -> str:
    """Seconds after midnight as HH:MM (wrapping past midnight)."""
    m = int(round(seconds / 60)) % (24 * 60)
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass
class Day:
    day: int
    jobs: list[int] = field(default_factory=list)  #: step indexes, in running order
    n_jobs: int = 0  #: jobs (one instance's consecutive steps make one)
    jobsets: list[list[int]] = field(default_factory=list)  #: the batches run that day
    used_s: float = 0.0
    overrun: bool = False

    def start_end(self, window: tuple[int, int]) -> tuple[str, str]:
        return clock(window[0]), clock(window[0] + self.used_s)


def pack(jobsets: list[list[int]], durations: list[float], jobs_per_day: int | None,
         window: tuple[int, int] = FULL_DAY, steps=None) -> list[Day]:
    """Jobsets (step indexes) packed into days; each jobset lasts as long as its longest job.

    With ``steps``, consecutive steps of one instance in a jobset are one job (never split)."""
    length = window[1] - window[0]
    days = [Day(1)]
    for js in jobsets:
        rest = jobs_in(js, steps) if steps is not None else [[k] for k in js]
        while rest:
            day = days[-1]
            room = len(rest) if jobs_per_day is None else jobs_per_day - day.n_jobs
            if room <= 0:
                days.append(Day(day.day + 1))
                continue
            chunk = rest[:room]
            took = max(sum(durations[k] for k in job) for job in chunk)
            if day.jobs and day.used_s + took > length:
                days.append(Day(day.day + 1))
                continue
            flat = [k for job in chunk for k in job]
            day.jobs += flat
            day.jobsets.append(flat)
            day.n_jobs += len(chunk)
            day.used_s += took
            day.overrun = day.used_s > length
            rest = rest[len(chunk):]
    return days if days[0].jobs else []
