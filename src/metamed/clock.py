"""The time budget counted as work: metamed's own CPU seconds, not the wall clock.

A search that stops on the wall clock measures less on a busy machine and
may then choose another model, so the answer would depend on what else the
computer was doing. metamed counts instead the CPU time of its own process
(every thread) and of its finished child processes: the work it did, which
a competing process barely changes (the search's fits run on one thread).
The wall clock stays only as a safety cap, :data:`WALL_CAP` times the
budget, so that a machine far slower than planned still ends; when the cap
fires, the fit says so.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

#: The wall-clock safety cap, as a multiple of the budget: far above any load the plan's
#: headroom absorbs (three competing processes on two cores slow a fit about 2.5 times).
WALL_CAP = 4.0
#: Seconds added to the cap, so that a tiny budget still lets the baseline finish its folds.
WALL_SLACK = 30.0


def work_seconds() -> float:
    """CPU seconds of this process (all threads) and of its finished child processes."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


@dataclass
class WorkClock:
    """The work a fit has done since it started, against its budget, and the wall-clock cap.

    ``capped`` records that the cap fired, so the fit can report it once,
    however deep in the procedure it happened.
    """

    budget: float
    work_start: float = field(default_factory=work_seconds)
    wall_start: float = field(default_factory=time.perf_counter)
    capped: bool = False

    def used(self) -> float:
        """Seconds of work done since the clock started."""
        return work_seconds() - self.work_start

    def wall(self) -> float:
        """Wall-clock seconds since the clock started."""
        return time.perf_counter() - self.wall_start

    @property
    def cap(self) -> float:
        """The wall-clock safety cap in seconds."""
        return WALL_CAP * self.budget + WALL_SLACK

    def over_cap(self) -> bool:
        """Whether the wall clock has passed :attr:`cap`."""
        self.capped = self.capped or self.wall() > self.cap
        return self.capped

    def notes(self) -> list[str]:
        """The cap, in words, if it fired (nothing otherwise)."""
        if not self.capped:
            return []
        return [f"the wall-clock safety cap ({self.cap:.0f} s: {WALL_CAP:g} times the budget "
                f"and {WALL_SLACK:g} s) stopped the search: this machine ran far slower than "
                "the budget planned, so a run on a quieter machine may choose another model."]
