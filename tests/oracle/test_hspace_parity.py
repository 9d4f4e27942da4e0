"""``planner capacity`` equals real hspace 3.0.2: every ``HTS_*`` line of ``--machine-readable``, in order.

Cases (each one run of planner's CLI and one of hspace, same arguments):

* ``--simulate`` clusters: one and several groups (an unallocable one too), every disk template,
  exclusive storage, standard and tiered specs, ``-l``;
* every Ganeti test-suite ``*.data`` file that hspace reads and that planner answers within the
  suite's time (:data:`SUITE_SLOW` lists the rest; they run in ``benchmarks/bench_capacity.py``),
  with the group options on the group/existing-error files;
* the small and medium bench files with catalog-sized drbd specs, capped by ``-l`` (the uncapped runs are
  in the benchmark), and ``-O``;
* seeded generated clusters of other shapes (tests/oracle/test_hcheck_parity's generator);
* ``-S``: the ``.tiered``/``.standard`` files equal hspace's byte for byte and real hbal scores them as
  planner does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.helpers import HSPACE, NO_BENCH, NO_SUITE, bench_files, hbal_initial, oracle, require, suite_dir
from tests.oracle.test_hcheck_parity import generate

pytestmark = oracle("hspace")

TEMPLATES = ("drbd", "plain", "diskless", "file", "sharedfile", "ext", "rbd", "blockdev")
SIMULATE = [
    ["--simulate", "p,4,8T,64g,16", "--disk-template", "drbd", "-l", "8"],  # the shelltest fixture
    ["--simulate", "p,3,1t,16g,8", "--disk-template", "drbd", "--standard-alloc", "100g,2g,2",
     "--tiered-alloc", "300g,8g,4", "-l", "12"],
    ["--simulate", "p,3,1t,16g,8", "--simulate", "p,2,500g,8g,4", "--disk-template", "drbd",
     "--standard-alloc", "50g,2g,1", "--tiered-alloc", "200g,6g,4", "-l", "20"],
    ["--simulate", "u,2,1t,16g,8", "--simulate", "p,2,500g,8g,4", "--disk-template", "plain",
     "--standard-alloc", "50g,2g,1", "--tiered-alloc", "200g,4g,4"],
    ["--simulate", "a,2,1t,8g,8", "--simulate", "p,2,300g,8g,4", "--disk-template", "drbd",
     "--standard-alloc", "30g,1g,1", "-l", "20",
     "--tiered-alloc", "100g,3g,2"],
    ["--simulate", "p,3,1t,16g,8,12,True", "--disk-template", "plain", "--standard-alloc", "100g,2g,2,3",
     "--tiered-alloc", "300g,6g,4,5"],
    ["--simulate", "p,3,1t,16g,8,12,True", "--disk-template", "drbd", "--standard-alloc", "100g,2g,2,2",
     "--tiered-alloc", "300g,6g,4,3"],
    ["--simulate", "p,4,8T,64g,16", "--disk-template", "plain", "-l", "12", "--no-capacity-checks"],
] + [["--simulate", "p,3,400g,8g,4", "--disk-template", t, "--standard-alloc", "40g,2g,2",
      "--tiered-alloc", "120g,5g,3", *(["-l", "12"] if t == "drbd" else [])] for t in TEMPLATES]

#: test-suite files planner takes more than a few seconds on (hspace: 0.1-15 s); in the benchmark
SUITE_SLOW = {"hbal-forth.data", "hbal-soft-errors.data", "hbal-soft-errors2.data", "hbal-split-insts.data",
              "hroller-nodegroups.data", "hroller-nonredundant.data", "hsqueeze-overutilized.data",
              "hsqueeze-underutilized.data", "multiple-tags.data", "shared-n1-failure.data"}
SUITE_REFUSED = {"empty-cluster.data", "invalid-node.data"}  #: hspace exits 1 (planner 2, one line)
GROUP_FILES = ("hspace-groups-one.data", "hspace-groups-two.data", "hspace-existing.data", "hspace-bad-group.data",
               "n1-failure.data", "hbal-evac.data")
GROUP_OPTIONS = (["--independent-groups"], ["--accept-existing-errors"], ["--no-capacity-checks"],
                 ["--independent-groups", "--accept-existing-errors"])
LIMITED = (["-l", "3"], ["-l", "0"])
EXPECTED = {"simulate": 16, "suite": 38, "suite-options": 30, "bench": 10, "generated": 12}


def _suite_cases() -> list:
    d = suite_dir()
    if d is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_SUITE), id="suite-absent")]
    names = sorted(p.name for p in d.glob("*.data") if p.name not in SUITE_SLOW | SUITE_REFUSED)
    return require([pytest.param(["-t", str(d / n)], id=n) for n in names], EXPECTED["suite"], "suite files")


def _suite_option_cases() -> list:
    d = suite_dir()
    if d is None:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_SUITE), id="suite-absent")]
    out = [pytest.param(["-t", str(d / f), *o], id=f"{f}{''.join(o)}") for f in GROUP_FILES for o in GROUP_OPTIONS]
    out += [pytest.param(["-t", str(d / f), *o], id=f"{f}{''.join(o)}")
            for f in ("hspace-tiered.data", "hspace-tiered-vcpu.data", "hspace-tiered-dualspec.data")
            for o in LIMITED]
    return require(out, EXPECTED["suite-options"], "suite option cases")


def _bench_cases() -> list:
    files = [f for f in bench_files() if "-small-" in f.name or "-medium-" in f.name]
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_BENCH), id="bench-absent")]
    out = []
    for f in files:
        small = "-small-" in f.name
        base = ["-t", str(f), "--disk-template", "drbd", "--standard-alloc", "40g,4g,2",
                "--tiered-alloc", "160g,16g,8"]
        out.append(pytest.param(base + ["-l", "25" if small else "15"], id=f.name))
        if small:
            out.append(pytest.param(base + ["-O", _first_node(f), "-l", "10"], id=f"{f.name}-O"))
    return require(out, EXPECTED["bench"], "bench cases")


def _first_node(path: Path) -> str:
    return path.read_text().split("\n\n")[1].split("\n")[0].split("|")[0]


def _generated_cases(tmp: Path) -> list:
    out = []
    for seed in range(12):
        p = tmp / f"gen-{seed}.data"
        p.write_text(generate(seed))
        t = ("drbd", "plain", "drbd", "diskless")[seed % 4]
        out.append((seed, ["-t", str(p), "--disk-template", t, "--standard-alloc", "20g,1g,1",
                           "--tiered-alloc", "60g,3g,2", "-l", "12"]))
    return require(out, EXPECTED["generated"], "generated clusters")


def hspace(args: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([HSPACE or "hspace", *args, "--machine-readable"], capture_output=True, text=True,
                          timeout=600)


def planner(args: list[str]):
    return CliRunner().invoke(cli, ["capacity", *args, "--machine-readable"])


def assert_same(args: list[str]) -> None:
    want = hspace(args)
    got = planner(args)
    if want.returncode != 0 or "HTS_OK=1" not in want.stdout:
        assert got.exit_code != 0, f"hspace failed ({want.stderr.strip()}), planner did not"
        return
    assert got.exit_code == 0, got.output
    assert got.stdout.splitlines() == want.stdout.splitlines()


@pytest.mark.parametrize("args", SIMULATE, ids=lambda a: " ".join(a))
def test_simulated_clusters(args: list[str]) -> None:
    require(SIMULATE, EXPECTED["simulate"], "simulate cases")
    assert_same(args)


@pytest.mark.parametrize("args", _suite_cases())
def test_suite_files(args: list[str]) -> None:
    assert_same(args)


@pytest.mark.parametrize("args", _suite_option_cases())
def test_suite_files_with_options(args: list[str]) -> None:
    assert_same(args)


@pytest.mark.parametrize("args", _bench_cases())
def test_bench_files(args: list[str]) -> None:
    assert_same(args)


def test_generated_clusters(tmp_path: Path) -> None:
    for seed, args in _generated_cases(tmp_path):
        want, got = hspace(args), planner(args)
        if want.returncode != 0:
            assert got.exit_code != 0, seed
            continue
        assert got.stdout.splitlines() == want.stdout.splitlines(), seed


@pytest.mark.parametrize("args", [
    ["--simulate", "p,4,8T,64g,16", "--disk-template", "drbd", "-l", "8"],
    ["--simulate", "p,3,400g,8g,4", "--disk-template", "plain", "--standard-alloc", "40g,2g,2",
     "--tiered-alloc", "120g,5g,3"],
    ["-t", "SMALL", "--disk-template", "drbd", "--standard-alloc", "40g,4g,2", "--tiered-alloc", "160g,16g,8",
     "-l", "20"],
], ids=["simu-drbd", "simu-plain", "bench-small"])
@oracle("hbal")
def test_saved_files_equal_hspace_and_hbal_scores_them(tmp_path: Path, args: list[str]) -> None:
    """-S: the same bytes as hspace -S, and real hbal's initial score is planner's score of the file."""
    from planner.api import load, score_cluster

    if "SMALL" in args:
        small = [f for f in bench_files() if f.name.startswith("new-node-small-5n")]
        if not small:
            pytest.skip(NO_BENCH)
        args = [str(small[0]) if a == "SMALL" else a for a in args]
    r = CliRunner().invoke(cli, ["capacity", *args, "-S", str(tmp_path / "pl")])
    assert r.exit_code == 0, r.output
    subprocess.run([HSPACE or "hspace", *args, "-S", str(tmp_path / "hs")], capture_output=True, check=True)
    for ext in ("tiered", "standard"):
        mine = tmp_path / f"pl.{ext}"
        assert mine.read_bytes() == (tmp_path / f"hs.{ext}").read_bytes(), ext
        hb = hbal_initial(mine)
        assert hb is not None
        assert f"{score_cluster(load(mine)).score:.8f}" == f"{hb[0]:.8f}", ext
