"""A step: one hbal move of one instance, its ``gnt-instance`` commands, and hbal's jobsets.

>>> s = Step("i", "r", "a", "b", "a", "c", 10.0)
>>> s.move_text(), s.gb_copied
('r:c', 10.0)
"""

from __future__ import annotations

from dataclasses import dataclass

#: move kind → (hbal's text with T for the target, number of disk copies, number of migrations)
MOVE_KINDS: dict[str, tuple[str, int, int]] = {
    "f": ("f", 0, 1),
    "fa": ("fa:{t}", 0, 1),
    "r": ("r:{t}", 1, 0),
    "rf": ("r:{t} f", 1, 1),
    "fr": ("f r:{t}", 1, 1),
    "frf": ("f r:{t} f", 1, 2),
}
#: move kind → the single-command moves Ganeti really runs, in order (``-C`` commands)
SUBMOVES: dict[str, tuple[str, ...]] = {
    "f": ("f",), "fa": ("fa",), "r": ("r",), "rf": ("r", "f"), "fr": ("f", "r"), "frf": ("f", "r", "f"),
}


@dataclass(frozen=True)
class Step:
    """One instance move, with the placement before and after (node names; "" = none)."""

    instance: str
    move: str
    from_primary: str
    from_secondary: str
    to_primary: str
    to_secondary: str
    gb_copied: float
    score: float | None = None  #: cluster score after the step, when known
    running: bool = True  #: migrate (running) or failover (stopped) for the commands

    @property
    def target(self) -> str:
        """The node hbal names in the move text."""
        if self.move in ("r", "fr"):
            return self.to_secondary
        return self.to_primary

    def move_text(self, alias=lambda n: n) -> str:
        """hbal's ``a=`` text, e.g. ``f r:node-3 f``."""
        return MOVE_KINDS[self.move][0].format(t=alias(self.target))

    @property
    def migrations(self) -> int:
        return MOVE_KINDS[self.move][2]

    @property
    def disk_copies(self) -> int:
        return MOVE_KINDS[self.move][1]

    def nodes(self) -> list[str]:
        """hbal's ``involvedNodes``: new primary, new secondary, old primary, old secondary."""
        out: list[str] = []
        for n in (self.to_primary, self.to_secondary, self.from_primary, self.from_secondary):
            if n and n not in out:
                out.append(n)
        return out

    def commands(self, alias=lambda n: n) -> list[str]:
        """The ``gnt-instance`` commands of this move (hbal's ``computeMoves``)."""
        verb = "migrate" if self.running else "failover"
        name = alias(self.instance)
        mig = f"gnt-instance {verb} -f {name}"
        t = alias(self.target)
        rep = f"gnt-instance replace-disks -n {t} {name}"
        return {
            "f": [mig], "fa": [f"gnt-instance {verb} -f -n {t} {name}"], "r": [rep],
            "rf": [rep, mig], "fr": [mig, rep], "frf": [mig, rep, mig],
        }[self.move]


def jobs_in(indexes: list[int], steps: list[Step]) -> list[list[int]]:
    """Steps (by index) grouped into jobs: consecutive steps of one instance run as one job.

    >>> s = [Step("x", "r", "a", "b", "a", "c", 1.0), Step("x", "f", "a", "c", "c", "a", 0.0),
    ...      Step("y", "f", "d", "e", "e", "d", 0.0)]
    >>> jobs_in([0, 1, 2], s)
    [[0, 1], [2]]
    """
    out: list[list[int]] = []
    for k in indexes:
        if out and steps[out[-1][-1]].instance == steps[k].instance:
            out[-1].append(k)
        else:
            out.append([k])
    return out


def backward_jobsets(steps: list[Step]) -> list[list[int]]:
    """Group step indexes into jobsets as hbal does: from the last move backwards."""
    sets: list[list[int]] = []
    buf: set[str] = set()
    for k in range(len(steps) - 1, -1, -1):
        nodes = set(steps[k].nodes())
        if sets and not (nodes & buf):
            sets[0].insert(0, k)
            buf |= nodes
        else:
            sets.insert(0, [k])
            buf = nodes
    return sets
