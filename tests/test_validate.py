"""Range checks of a parsed cluster (planner/io/validate.py) and the text format's warnings (issue 22).

Every case below loaded on main (exit 0, a nan score or a late, unplaced error); now ``planner score``
exits 2 with one line naming the file, the line and the field."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from planner.cli.main import main
from tests.helpers import DATA

BASE = (DATA / "tiny-skewed.data").read_text()
POLICY = "|128,1,1024,1,1,1|128,1,1024,1,1,1;32768,8,1048576,16,8,12|drbd|4.0|32.0"


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


def with_field(line: int, field: int, value: str, text: str = BASE) -> str:
    """``text`` with field ``field`` (0-based) of line ``line`` (1-based) set to ``value``."""
    lines = text.split("\n")
    f = lines[line - 1].split("|")
    f[field] = value
    lines[line - 1] = "|".join(f)
    return "\n".join(lines)


WITH_POLICY = BASE + "\n" + POLICY + "\n"

BAD = [  # (text, line, what the message names)
    (with_field(3, 1, "0"), 3, "'t_mem'"),  # scored nan on main
    (with_field(3, 6, "0"), 3, "'t_cpu'"),
    (with_field(3, 4, "0"), 3, "'t_dsk'"),
    (with_field(3, 1, "-16384"), 3, "'t_mem'"),
    (with_field(3, 5, "-5"), 3, "'f_dsk'"),
    (with_field(3, 1, "1e30"), 3, "2^53"),
    (with_field(3, 1, "1000000000000000000000000000000"), 3, "2^53"),
    (with_field(3, 3, "99999"), 3, "more free memory"),
    (with_field(7, 1, "-1024"), 7, "'mem'"),  # "greedy plan says final score X" on main
    (with_field(7, 2, "-5"), 7, "'dsk'"),
    (with_field(7, 3, "-1"), 7, "'vcpus'"),
    (with_field(7, 0, ""), 7, "name"),
    (with_field(7, 0, "t\x001"), 7, "control character"),
    (with_field(3, 0, "a\x00"), 3, "control character"),  # "unknown node 'a'" on main, naming the wrong line
    ("g|u1|preferred||\n" + BASE, 2, "given twice"),  # "multiple node groups (g, g)" on main
    (with_field(12, 4, "-4.0", WITH_POLICY), 12, "'vcpu_ratio'"),
    (with_field(12, 2, "64000,1,1024,1,1,1;32768,8,1048576,16,8,12", WITH_POLICY), 12, "'minmax'"),
    ("\ufeff" + BASE, 1, "byte-order mark"),  # "unknown group 'u1'" on main
    (BASE.replace("\n", "\r\n"), 1, "CRLF"),  # "1 sections instead of 4" on main
]


@pytest.mark.parametrize(("text", "line", "says"), BAD, ids=[f"{k}-{b[2]}" for k, b in enumerate(BAD)])
def test_impossible_values_are_refused_naming_line_and_field(capsys, tmp_path: Path, text: str, line: int,
                                                              says: str) -> None:
    f = tmp_path / "c.data"
    f.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    before = hashlib.sha256(f.read_bytes()).hexdigest()
    code, out, err = run(capsys, "score", str(f))
    assert code == 2 and err.count("\n") == 1, err
    assert err.startswith(f"planner: error: {f}:{line}: ") and says in err, err
    assert hashlib.sha256(f.read_bytes()).hexdigest() == before


def test_duplicate_instance_names_warn_on_score_and_are_refused_by_balance(capsys, tmp_path: Path) -> None:
    """hbal reads them (Ganeti's hroller-full.data has one): a warning naming the line; balance refuses."""
    f = tmp_path / "c.data"
    f.write_text(with_field(8, 0, "t1"))
    code, _, err = run(capsys, "score", str(f))
    assert code == 0 and f"planner: warning: {f}:8: instance line: field 'name': duplicate instance name 't1'" in err
    code, _, err = run(capsys, "balance", str(f))
    assert code == 2 and "duplicate instance name 't1'" in err.splitlines()[-1]


def test_extra_blank_line_after_nodes_warns(capsys, tmp_path: Path) -> None:
    """Every instance becomes a cluster tag (hbal: 0 instances too); now a warning names the line."""
    f = tmp_path / "c.data"
    f.write_text(BASE.replace("|u1|1\n\nt1", "|u1|1\n\n\nt1"))
    code, out, err = run(capsys, "info", str(f))
    assert code == 0 and "0 instances" in out
    assert err.startswith(f"planner: warning: {f}:7: an extra blank line after the node section") and \
        err.count("\n") == 1, err


def test_rapi_negative_memory_names_the_record(capsys, tmp_path: Path) -> None:
    d = tmp_path / "rapi"
    shutil.copytree(DATA / "rapi", d)
    nodes = json.loads((d / "nodes.json").read_text())
    nodes[0]["mtotal"] = -1
    (d / "nodes.json").write_text(json.dumps(nodes))
    code, _, err = run(capsys, "score", str(d))
    assert code == 2 and err.count("\n") == 1 and f"node '{nodes[0]['name']}'" in err and "'t_mem'" in err, err


@pytest.mark.parametrize(("field", "value"), [("memory", "1" + "0" * 30), ("cpus", "1" + "0" * 21),
                                              ("price", ".inf"), ("price", ".nan"), ("spindles", "-1")])
def test_catalog_refuses_values_that_cannot_be_real(tmp_path: Path, field: str, value: str) -> None:
    """A catalog model of 10^30 MiB, 10^21 CPUs or an infinite price loaded on main (generated clusters
    skip the text loader's range checks)."""
    from planner.domain.errors import PlannerError
    from planner.scenario.catalog import load_catalog

    spec = {"name": "big", "memory": "256G", "disk": "1T", "cpus": "32", "price": "1000"}
    spec[field] = value
    f = tmp_path / "cat.yaml"
    f.write_text("nodes:\n  - {" + ", ".join(f"{k}: {v}" for k, v in spec.items()) + "}\n")
    with pytest.raises(PlannerError) as e:
        load_catalog(f)
    assert str(e.value).startswith(f"{f}: nodes.0.{field}: ") and "\n" not in str(e.value), e.value
