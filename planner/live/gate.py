"""When apply may submit the next job: the day window, the jobs-per-day budget and the stop file.

Times are the local wall clock of the machine running apply.  A wait never interrupts a running job:
the gate is asked only before a submission.  The clock is injectable so tests never sleep.

>>> c = FakeClock(local_start=8 * 3600)  # 08:00 on day 0
>>> g = Gate(window=(9 * 3600, 17 * 3600), jobs_per_day=1, clock=c)
>>> g.seconds_to_wait(started_today=0)
3600.0
>>> c.t += 3600
>>> g.seconds_to_wait(started_today=0), g.seconds_to_wait(started_today=1)
(0.0, 86400.0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

DAY = 24 * 3600


class Clock:
    """The real clock: epoch seconds, local seconds after midnight, local date, sleep."""

    def now(self) -> float:
        return time.time()

    def local(self, t: float) -> tuple[str, float]:
        d = datetime.fromtimestamp(t)
        return d.date().isoformat(), d.hour * 3600 + d.minute * 60 + d.second + d.microsecond / 1e6

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock(Clock):
    """A clock for tests: ``sleep`` advances time at once; day 0 starts at epoch 0 (local = UTC here)."""

    def __init__(self, local_start: float = 0.0) -> None:
        self.t = float(local_start)
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def local(self, t: float) -> tuple[str, float]:
        return f"day{int(t // DAY)}", t % DAY

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


@dataclass(frozen=True)
class Gate:
    window: tuple[int, int] | None = None  #: (start, end) seconds after midnight; end may pass midnight
    jobs_per_day: int | None = None
    stop_file: str | None = None
    clock: Clock = Clock()

    def stop_requested(self) -> bool:
        return bool(self.stop_file) and Path(self.stop_file).exists()

    def today(self) -> str:
        return self.clock.local(self.clock.now())[0]

    def _to_window(self, s: float) -> float:
        """Seconds from local time ``s`` until inside the window (0 when inside)."""
        if self.window is None:
            return 0.0
        a, b = self.window
        for base in (-DAY, 0.0):
            if a <= s - base < b:
                return 0.0
        return (a - s) % DAY

    def seconds_to_wait(self, started_today: int) -> float:
        """0 when a new job may start now; else how long until it may."""
        _, s = self.clock.local(self.clock.now())
        if self.jobs_per_day is not None and started_today >= self.jobs_per_day:
            first = self.window[0] if self.window else 0.0
            return float(DAY - s + first)
        return float(self._to_window(s))
