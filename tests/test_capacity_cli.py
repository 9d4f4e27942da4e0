"""``planner capacity``: bad options give one line and exit 2, ``-S`` never writes over an input, a scenario
is read as the cluster after its changes, ``-p``/``-v`` go to stderr, ``--flavor`` takes the catalog's spec.

Counts are hand-checked: two simulated nodes of 4 GiB take three 1 GiB instances each (free memory must stay > 0).
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import pytest

from planner.cli.main import main
from tests.helpers import DATA

ROOT = Path(__file__).resolve().parent.parent
SIMU = ["--simulate", "p,2,100g,4g,2", "--disk-template", "plain", "--no-capacity-checks", "--tiered-alloc", "10g,3g,1"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(["capacity", *args])
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def _one_line_error(capsys, *args: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 2 and err.startswith("planner: error: ") and err.count("\n") == 1, (code, err)
    return err


@pytest.mark.parametrize("args, word", [
    (["--disk-template", "floppy"], "disk template"),
    (["--spindle-use", "-1"], "spindle-use"),
    (["-l", "-5"], "max-length"),
    (["--standard-alloc", "10g,1g"], "standard-alloc"),
    (["--standard-alloc", "10g,0,1"], "standard-alloc"),
    (["--tiered-alloc", "10q,1g,1"], "unit"),
    (["--machine-readable=maybe"], "machine-readable"),
    (["-pname,bogus"], "bogus"),
    (["-O", "no-such-node"], "no-such-node"),
    (["--flavor", "no-such-flavor"], "no-such-flavor"),
    (["--flavor", "small", "--standard-alloc", "10g,1g,1"], "not both"),
    (["--min-disk", "2"], "min-disk"),
    (["--max-cpu", "0"], "max-cpu"),
], ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_bad_option_values_are_one_line_and_exit_2(capsys, args: list[str], word: str) -> None:
    err = _one_line_error(capsys, str(DATA / "tiny-skewed.data"), *args)
    assert word in err


def test_bad_simulate_spec_and_no_input(capsys) -> None:
    assert "Invalid cluster specification" in _one_line_error(capsys, "--simulate", "p,2,100g")
    assert "no cluster" in _one_line_error(capsys)


def test_two_flavors_with_machine_readable_refused(capsys) -> None:
    assert "one --flavor" in _one_line_error(capsys, *SIMU, "--flavor", "small", "--flavor", "large",
                                             "--machine-readable")


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_save_never_overwrites_the_input(capsys, tmp_path: Path) -> None:
    """``-S X`` writes X.tiered/X.standard: refused when one of them is the input (or a link to it)."""
    src = tmp_path / "c.standard"
    shutil.copy(DATA / "tiny-skewed.data", src)
    before = _digest(src)
    assert "refusing to overwrite" in _one_line_error(capsys, str(src), "-S", str(tmp_path / "c"))
    link = tmp_path / "d.tiered"
    link.hardlink_to(src)
    assert "refusing to overwrite" in _one_line_error(capsys, str(src), "-S", str(tmp_path / "d"))
    assert _digest(src) == before
    assert "no such directory" in _one_line_error(capsys, str(src), "-S", str(tmp_path / "nodir" / "x"))


def test_save_writes_both_files_and_says_so_on_stderr(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, *SIMU, "--standard-alloc", "10g,1g,1", "-S", str(tmp_path / "o"))
    assert code in (0, None)
    lines = (tmp_path / "o.standard").read_text().split("\n\n")[2].strip().splitlines()
    # 4 GiB nodes, 1 GiB instances: 3 per node fit (free memory must stay > 0): 6 instances
    assert len(lines) == 6 and lines[0].startswith("new-0|1024|10240|1|running|Y|")
    assert "after standard allocation has been written to file" in err and "written" not in out
    assert "  -   6 instances allocated" in out


def test_scenario_input_is_the_cluster_after_its_changes(capsys) -> None:
    """drain-node.yaml drains a node: with -p the initial table marks it offline ('-' in column F)."""
    code, out, err = run(capsys, str(ROOT / "scenarios" / "drain-node.yaml"), "--standard-alloc", "20g,2g,1",
                         "--disk-template", "drbd", "-l", "3", "-pstatus,name", "--tiered-alloc", "20g,2g,1")
    assert code in (0, None)
    assert "The cluster has 5 nodes" in out and "  -   3 instances allocated" in out
    initial = err.split("Initial cluster status:\n")[1].split("\n\n")[0].splitlines()
    assert sum(row.startswith(" -") for row in initial[1:]) == 1


def test_flavor_gives_spec_and_template_and_a_table(capsys) -> None:
    code, out, _ = run(capsys, *SIMU[:2], "--no-capacity-checks", "--tiered-alloc", "10g,3g,1", "--flavor",
                       "web-plain", "-l", "4")
    assert code in (0, None)
    assert "MEM 2048, DSK 20480, CPU 2, using disk template 'plain'." in out
    assert "web-plain" in out.split("Normal (fixed-size) allocation results:")[1]


def test_verbose_maps_and_print_nodes_on_stderr(capsys) -> None:
    code, out, err = run(capsys, *SIMU, "--standard-alloc", "10g,1g,1", "-l", "2", "-v", "-pname,pcnt")
    assert code in (0, None)
    assert "Standard allocation map\n new-0 " in err and "Standard allocation status:" in err
    assert "map" not in out and "status:" not in out


def test_optimal_column_and_mix(capsys) -> None:
    """``--optimal`` adds CP-SAT's count beside hspace's (never below it: hspace's placement is its hint)
    on tests/data/runway-3n.data, where 6 instances of 1 GiB fit by hand (see tests/test_purchase_opt.py)."""
    spec = "10240,1024,1"  # the tiered spec too: from the policy's 1 TiB maximum hspace itself takes 27 s here
    code, out, _ = run(capsys, str(DATA / "runway-3n.data"), "--standard-alloc", spec, "--tiered-alloc", spec,
                       "--disk-template", "drbd", "--optimal", "--mix", "small=1", "--time-limit", "5")
    assert code == 0
    row = next(line for line in out.splitlines() if "--standard-alloc" in line and "OPTIMAL" in line)
    cells = [c.strip() for c in row.split("│")]
    assert cells[5] == "6" and cells[11] == "6" and cells[-1] == "True", cells
    assert "optimal mix small=1:" in out and "verified" in out


def test_mix_needs_optimal_and_good_weights(capsys) -> None:
    assert "applies with --optimal" in _one_line_error(capsys, str(DATA / "runway-3n.data"), "--mix", "small=1")
    assert "whole number" in _one_line_error(capsys, str(DATA / "runway-3n.data"), "--optimal", "--mix", "small=x")


def test_ctrl_c_keeps_the_allocation_so_far() -> None:
    """Ctrl-C after the 7th instance (raised from the progress callback, as a terminal's SIGINT would
    arrive): the tiered run keeps those 7, every one checked, and the standard run is not started."""
    from planner.capacity.hspace import CapacityOptions, capacity
    from planner.capacity.options import Spec
    from planner.capacity.simulate import simulate_cluster

    def tick(n: int) -> None:
        if n == 7:
            raise KeyboardInterrupt

    c = simulate_cluster(["p,3,1t,16g,8"])
    opts = CapacityOptions(disk_template="drbd", tiered=Spec(2048, 102400, 2, 1))
    full = capacity(c, opts)
    r = capacity(c, opts, progress=tick)
    assert r.interrupted and r.standard is None
    assert r.tiered.allocated == 7 < full.tiered.allocated
    assert [st.pnode for st in r.tiered.new] == [st.pnode for st in full.tiered.new[:7]]


def test_ctrl_c_on_the_command_line(tmp_path) -> None:
    """The CLI prints what was allocated, then one line on stderr, and exits 130."""
    import os
    import subprocess

    script = ("import signal, sys\n"
              "from planner.capacity import iterate\n"
              "orig = iterate.commit\n"
              "def commit(*a, _n=[0]):\n"
              "    _n[0] += 1\n"
              "    if _n[0] == 5: signal.raise_signal(signal.SIGINT)\n"
              "    return orig(*a)\n"
              "iterate.commit = commit\n"
              "from planner.cli.main import main\n"
              "sys.argv = ['planner', 'capacity', '--simulate', 'p,3,1t,16g,8', '--disk-template', 'drbd',\n"
              "            '--tiered-alloc', '102400m,2048m,2', '--machine-readable']\n"
              "main()\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert r.returncode == 130, r.stderr
    assert "planner: interrupted" in r.stderr and "Traceback" not in r.stderr
    assert "HTS_TSPEC=" in r.stdout or "HTS_ALLOC_INSTANCES" in r.stdout
