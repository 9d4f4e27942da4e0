"""``planner capacity``'s output, stream for stream as hspace prints it: the report or ``HTS_*`` keys on
stdout; ``-p`` node tables, ``-v`` allocation maps, ``-vvvv`` bad nodes/groups and ``-S`` notes on
stderr; then a rich table with one row per flavor."""

from __future__ import annotations

import contextlib
import sys

import click

from planner.capacity.hspace import CapacityResult, PhaseResult, allocated_cluster
from planner.capacity.output import human_sections, keys_text, machine_sections
from planner.capacity.tables import allocation_map, node_table
from planner.cli.render import console
from planner.domain.model import Cluster


def _err(text: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(text)
    sys.stderr.flush()


def _hs_strings(xs) -> str:
    """Haskell ``show`` of a list of strings."""
    return "[" + ",".join('"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"' for x in xs) + "]"


class Printer:
    """Prints one or more capacity results the way hspace does."""

    def __init__(self, cluster: Cluster, machine: bool, verbose: int, fields: list[str] | None,
                 saves: dict[str, str]) -> None:
        self.cluster, self.machine, self.verbose, self.fields = cluster, machine, verbose, fields
        self.saves = saves

    def _out(self, sections: dict, key: str) -> None:
        if key in sections:
            click.echo(keys_text(sections[key]) if self.machine else sections[key], nl=False)

    def _nodes(self, msg: str, nodes) -> None:
        if self.fields is not None:
            _err(f"\n{msg} status:\n{node_table(nodes, self.fields)}\n")

    def _phase(self, sections: dict, key: str, name: str, ph: PhaseResult, save: str | None) -> None:
        self._out(sections, key + "spec")
        if self.verbose > 1:
            _err(f"{name} allocation map\n{allocation_map(ph.nodes, ph.new)}")
        self._nodes(f"{name} allocation", ph.nodes)
        if save:
            from planner.io.htools_write import write_text

            with open(save, "w", encoding="utf-8", errors="surrogateescape") as fh:  # paths checked up front
                fh.write(write_text(allocated_cluster(self.cluster, ph), canonical=True))
            _err(f"The cluster state after {name.lower()} allocation has been written to file '{save}'\n")
        self._out(sections, key + "res")

    def report(self, r: CapacityResult, label: str, first: bool = True) -> None:
        """hspace's whole output for ``r`` (``first=False``: only its standard run, for a further flavor)."""
        sections = machine_sections(r) if self.machine else human_sections(r)
        if first:
            self._nodes("Initial cluster", r.nodes)
            self._out(sections, "head")
            if self.verbose > 3 and r.bad_nodes:
                _err(f"Bad nodes: {_hs_strings(r.bad_nodes)}\n")
            if self.verbose > 3 and r.bad_groups:
                _err(f"Bad groups: {_hs_strings(r.bad_groups)}\n")
            if r.tiered:
                self._phase(sections, "t", "Tiered", r.tiered, self.saves.get("tiered"))
        if r.standard:
            self._phase(sections, "s", "Standard", r.standard, self.saves.get(label))
        if first:
            self._out(sections, "end")

    @contextlib.contextmanager
    def progress(self):
        """A counter of allocated instances on a terminal's stderr; a no-op otherwise."""
        if self.machine or not sys.stderr.isatty():
            yield None
            return
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                      console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("allocating", total=None)

            def tick(n: int) -> None:
                bar.update(task, description=f"allocating: {n} instances placed")

            yield tick

    def flavor_table(self, results: list[tuple[str, CapacityResult]], extra: dict[str, dict]) -> None:
        """One row per flavor: the spec, the count, why it stopped, the final score and usage."""
        import pandas as pd

        from planner.cli.render import frame_table

        rows = []
        for label, r in results:
            s = r.standard
            if s is None:
                continue
            cs = s.stats
            rows.append({"flavor": label, "template": s.template, "mem MiB": s.spec.mem, "disk MiB": s.spec.dsk,
                         "vcpus": s.spec.cpu, "allocated": s.allocated, "fail reason": s.fail_reason,
                         "final score": round(cs.score, 8), "mem used %": _pct(cs.imem, cs.tmem),
                         "disk used %": _pct(cs.idsk, cs.tdsk), "cpu used %": _pct(cs.icpu, cs.vcpu),
                         **extra.get(label, {})})
        if not rows:
            return
        con = console()
        con.print(frame_table(pd.DataFrame(rows)))


def _pct(a: float, b: float) -> float:
    return round(100.0 * a / b, 2) if b else 0.0
