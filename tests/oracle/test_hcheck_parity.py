"""``planner check`` equals real hcheck 3.0.2 key by key (``--machine-readable``) and in exit code.

Cases: every Ganeti test-suite ``*.data`` file hcheck loads, the hand-made ``tests/data/hcheck-*.data``
files and the small bench files, each with and without ``--no-simulation`` and with
``--no-capacity-checks``; plus seeded generated clusters (1-3 groups, offline nodes, broken N+1,
plain/ext/diskless/blockdev/file instances, exclusion tags, restrictive group ipolicies, some
instances split across groups), each under one of hcheck's balancing options.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.commands.check import command
from tests.helpers import DATA, HCHECK, KNOWN_INVALID, bench_files, oracle, suite_files

pytestmark = oracle("hcheck")

MODES = ([], ["--no-simulation"], ["--no-capacity-checks"])
VARIANTS = ([], ["--no-simulation"], ["--no-capacity-checks"], ["--no-disk-moves"], ["-l", "1"], ["-E"],
            ["--ignore-soft-errors"], ["--exclusion-tags", "svc"], ["--min-gain", "0.5", "--min-gain-limit", "5"],
            ["--no-instance-moves"], ["-O", "OFFLINE"], ["--max-cpu", "1.0"])
SEEDS = range(48)
TEMPLATES = ["drbd"] * 12 + ["plain", "plain", "ext", "diskless", "blockdev", "file", "sharedfile", "rbd"]
#: files hcheck cannot load (it exits 1 with no output; planner refuses them with exit 2)
UNLOADABLE = KNOWN_INVALID


def generate(seed: int) -> str:
    """A random small cluster in htools text format (consistent free memory and disk)."""
    rnd = random.Random(seed)
    ngroups = rnd.randint(1, 3)
    groups = [(f"grp-{g}", f"uuid-{seed}-{g}") for g in range(ngroups + (seed % 5 == 0))]  # maybe an empty one
    nodes, insts = [], []
    for g, (_gname, uuid) in enumerate(groups[:ngroups]):
        names = [f"node-{g}-{k}" for k in range(rnd.randint(2, 5))]
        for name in names:
            nodes.append(dict(name=name, t_mem=rnd.choice([8192, 16384, 32768]), n_mem=1024,
                              t_dsk=rnd.choice([200000, 500000]), cpu=rnd.choice([4, 8, 16]),
                              off="Y" if rnd.random() < 0.12 else "N", uuid=uuid,
                              tags=rnd.choice(["", "", "rack:a", "rack:b"]), mem=0, dsk=0))
        for k in range(rnd.randint(2, 14)):
            t = rnd.choice(TEMPLATES)
            p = rnd.choice(names)
            s = rnd.choice([n for n in names if n != p]) if t == "drbd" else ""
            if t == "drbd" and g > 0 and seed % 9 == 4 and k == 0:  # split instance: hcheck crashes
                s = nodes[0]["name"]
            insts.append(dict(name=f"inst-{g}-{k}", mem=rnd.choice([512, 1024, 2048, 4096, 8192]),
                              dsk=rnd.choice([1024, 10240, 51200]), vcpus=rnd.randint(1, 4),
                              status=rnd.choices(["running", "ADMIN_down", "ADMIN_offline"], [85, 10, 5])[0],
                              auto=rnd.choice("YYYYN"), p=p, s=s, t=t,
                              tags=rnd.choice(["", "", "svc:web", "svc:db"])))
    by = {n["name"]: n for n in nodes}
    for i in insts:
        if i["status"] == "running":
            by[i["p"]]["mem"] += i["mem"]
        if i["t"] in ("drbd", "plain"):
            by[i["p"]]["dsk"] += i["dsk"]
            if i["s"]:
                by[i["s"]]["dsk"] += i["dsk"]
    lines = [f"{name}|{uuid}|preferred||" for name, uuid in groups] + [""]
    for n in nodes:
        f_mem = max(0, n["t_mem"] - n["n_mem"] - n["mem"])
        lines.append(f"{n['name']}|{n['t_mem']}|{n['n_mem']}|{f_mem}|{n['t_dsk']}|{max(0, n['t_dsk'] - n['dsk'])}|"
                     f"{n['cpu']}|{n['off']}|{n['uuid']}|1|{n['tags']}")
    lines.append("")
    for i in insts:
        lines.append(f"{i['name']}|{i['mem']}|{i['dsk']}|{i['vcpus']}|{i['status']}|{i['auto']}|{i['p']}|{i['s']}|"
                     f"{i['t']}|{i['tags']}|1")
    lines += ["", "htools:iextags:svc", ""]
    spec = "128,1,1024,1,1,1|128,1,1024,1,1,1;32768,8,1048576,16,8,12|" \
           "diskless,file,sharedfile,plain,blockdev,drbd,rbd,ext"
    lines.append(f"|{spec}|4.0|32.0")
    if seed % 3 == 0:  # a restrictive group policy: big plain instances cannot be re-created
        lines.append(f"{groups[0][0]}|128,1,1024,1,1,1|128,1,1024,1,1,1;4096,8,1048576,16,8,12|"
                     f"diskless,file,sharedfile,plain,blockdev,drbd,rbd,ext|4.0|32.0")
    return "\n".join(lines) + "\n"


def _hcheck(path: Path, args: list[str]) -> tuple[list[str], int]:
    r = subprocess.run([HCHECK, "-t", str(path), "--machine-readable", *args], capture_output=True, text=True,
                       timeout=120)
    return r.stdout.splitlines(), r.returncode


def _planner(path: Path, args: list[str]) -> tuple[list[str], int]:
    r = CliRunner().invoke(command, [str(path), "--machine-readable", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.stdout.splitlines(), r.exit_code


def _assert_same(path: Path, args: list[str]) -> None:
    ref, ref_rc = _hcheck(path, args)
    out, rc = _planner(path, args)
    want, got = dict(x.split("=", 1) for x in ref), dict(x.split("=", 1) for x in out)
    diff = {k: (want.get(k), got.get(k)) for k in want.keys() | got.keys() if want.get(k) != got.get(k)}
    assert not diff, f"hcheck vs planner: {diff}"
    assert out == ref, "same keys and values but not in hcheck's order"
    assert rc == ref_rc, f"exit code: hcheck {ref_rc}, planner {rc}"


def file_cases() -> list:
    files = [f for f in suite_files() if f.name not in UNLOADABLE]
    files += sorted(DATA.glob("hcheck-*.data")) + bench_files(max_bytes=6000)
    return [pytest.param(f, m, id=f"{f.name}{''.join(m)}") for f in files for m in MODES]


@pytest.mark.parametrize("path,args", file_cases())
def test_file_matches_hcheck(path: Path, args: list[str]) -> None:
    _assert_same(path, args)


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_matches_hcheck(seed: int, tmp_path: Path) -> None:
    path = tmp_path / f"gen-{seed}.data"
    text = generate(seed)
    path.write_text(text)
    args = list(VARIANTS[seed % len(VARIANTS)])
    if "OFFLINE" in args:
        args[args.index("OFFLINE")] = text.split("\n\n")[1].split("|", 1)[0]  # the first node
    _assert_same(path, args)


def test_unloadable_files_fail_in_both(testsuite: Path) -> None:
    for name in sorted(UNLOADABLE):
        assert _hcheck(testsuite / name, [])[1] != 0
        assert CliRunner().invoke(command, [str(testsuite / name)]).exit_code != 0


def test_case_count() -> None:
    """Never pass by testing nothing: 48 loadable suite files + 3 hand-made + 3 small bench, × 3 modes."""
    n = len(file_cases())
    assert n >= 3 * (48 + 3) if suite_files() else n >= 3 * 3, n
