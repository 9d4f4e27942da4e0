"""Bad input loses nothing (issue 22): hypothesis mutates cluster files, RAPI dumps, scenarios, plans and
option values and runs the ``planner`` CLI in-process (click's CliRunner on ``planner.cli.main.cli``).

Properties, for every case: exit 0 (1 for ``verify`` of a well-formed plan that breaks a rule), or exit 2
with exactly one line on stderr naming the file (or the option); never a traceback; every input's bytes
unchanged.  Bounded: fixed examples per category, derandomized (the same cases each run), a 20 s deadline
per example (one takes ~0.1 s) and a 120 s timeout per test (pytest-timeout: a hang fails, not waits).
The outcome counts per category go to /tmp/planner-fuzz-counts.json (``FUZZ_COUNTS`` overrides the path).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.cli.main import cli
from tests.helpers import DATA, ROOT

pytestmark = pytest.mark.timeout(120)

COUNTS: dict[str, Counter] = {}
COUNTS_FILE = Path(os.environ.get("FUZZ_COUNTS", "/tmp/planner-fuzz-counts.json"))
FUZZ = settings(deadline=timedelta(seconds=20), derandomize=True, database=None, print_blob=False,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

TEXT_FILES = ["tiny-skewed.data", "offline.data", "two-groups.data", "tags-location.data", "n1quirk.data"]
TOKENS = ["", "0", "-1", "-0", "nan", "inf", "1e30", "1" + "0" * 30, "9007199254740993", "x", "Y", "N", "M",
          "\x00", "\r", "|", "||", ",", ";", "\ufeff", "é", "drbd", "plain", "running", "ADMIN_offline", "?",
          "-", "1.5", " 7", "u1", "a", "g"]
JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), st.sampled_from([1e300, -1.5, 0.0]),
                        st.text(max_size=8), st.just([]), st.just({}), st.just(["a", "b"]), st.just({"x": [1]}))


@pytest.fixture(scope="module", autouse=True)
def _write_counts():
    yield
    old = json.loads(COUNTS_FILE.read_text()) if COUNTS_FILE.exists() else {}
    old.update({k: dict(v) for k, v in COUNTS.items()})
    COUNTS_FILE.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")


def digest(paths: list[Path]) -> dict[str, str]:
    out = {}
    for p in paths:
        for f in sorted(p.rglob("*")) if p.is_dir() else [p]:
            if f.is_file():
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def invoke(category: str, args: list[str], inputs: list[Path], names: tuple[str, ...], ok=(0,)) -> int:
    """Run the CLI; check the properties; count the outcome."""
    before = digest(inputs)
    res = CliRunner().invoke(cli, args, catch_exceptions=True)
    code = res.exit_code
    exc = res.exception
    assert exc is None or isinstance(exc, SystemExit), (args, repr(exc), res.stderr[-500:])
    assert "Traceback" not in res.output, (args, res.output[-500:])
    assert digest(inputs) == before, f"an input changed: {args}"
    if code == 2:
        lines = res.stderr.splitlines()
        errors = [x for x in lines if not x.startswith("planner: warning: ")]
        assert len(errors) == 1 and errors[0].startswith("planner: error: "), (args, res.stderr)
        assert any(n in errors[0] for n in names), (args, names, errors[0])
    else:
        assert code in ok, (args, code, res.output[-800:])
    outcome = {0: "exit 0", 1: "exit 1", 2: "exit 2"}.get(code, f"exit {code}")
    COUNTS.setdefault(category, Counter())["cases"] += 1
    COUNTS[category][outcome] += 1
    return code


# ---------------------------------------------------------------- htools text


@st.composite
def text_mutation(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(TEXT_FILES))
    lines = (DATA / name).read_bytes().split(b"\n")
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["field", "field", "field", "drop", "dup", "blank", "truncate", "bytes"]))
        k = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "field" and lines:
            f = lines[k].split(b"|")
            j = draw(st.integers(0, max(0, len(f) - 1)))
            f[j] = draw(st.sampled_from(TOKENS)).encode()
            lines[k] = b"|".join(f)
        elif kind == "drop" and lines:
            del lines[k]
        elif kind == "dup" and lines:
            lines.insert(k, lines[k])
        elif kind == "blank":
            lines.insert(k, b"")
        elif kind == "truncate":
            data = b"\n".join(lines)
            lines = data[:draw(st.integers(0, len(data)))].split(b"\n")
        else:
            lines.insert(k, draw(st.binary(max_size=12)))
    return name, b"\n".join(lines)


@settings(FUZZ, max_examples=250)
@given(case=text_mutation(), command=st.sampled_from(["score", "info", "check"]))
def test_fuzz_htools_text(tmp_path: Path, case: tuple[str, bytes], command: str) -> None:
    f = tmp_path / "mutated.data"
    f.write_bytes(case[1])
    extra = ["--no-simulation"] if command == "check" else []
    invoke("htools text", [command, str(f), *extra], [f], (str(f),), ok=(0, 1) if command == "check" else (0,))


# ---------------------------------------------------------------- RAPI JSON


def _paths(d, prefix=()):
    yield prefix
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(d, list):
        for k, v in enumerate(d):
            yield from _paths(v, (*prefix, k))


RAPI = {n: json.loads((DATA / "rapi" / n).read_text()) for n in ("groups.json", "nodes.json", "instances.json",
                                                                 "info.json")}
RAPI_PATHS = {n: [p for p in _paths(d) if p] for n, d in RAPI.items()}


@st.composite
def rapi_mutation(draw) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(RAPI)))
    if draw(st.integers(0, 9)) == 0:  # bytes: truncated or garbage
        raw = (DATA / "rapi" / name).read_bytes()
        return name, raw[:draw(st.integers(0, len(raw)))] + draw(st.binary(max_size=6))
    d = copy.deepcopy(RAPI[name])
    path = draw(st.sampled_from(RAPI_PATHS[name]))
    parent = d
    for k in path[:-1]:
        parent = parent[k]
    if isinstance(parent, dict) and draw(st.booleans()) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return name, json.dumps(d).encode()


@settings(FUZZ, max_examples=120)
@given(case=rapi_mutation())
def test_fuzz_rapi_json(tmp_path: Path, case: tuple[str, bytes]) -> None:
    d = tmp_path / "rapi"
    if d.exists():
        shutil.rmtree(d)
    shutil.copytree(DATA / "rapi", d)
    (d / case[0]).write_bytes(case[1])
    invoke("RAPI JSON", ["score", str(d)], [d], (str(d), case[0]))


# ---------------------------------------------------------------- scenario YAML


SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
YAML_TOKENS = ["", "-1", "0", ".nan", ".inf", "1e400", "[]", "{}", "null", "x", "'", "\"", ": :", "- ", "\t",
               "&a", "*a", "!!python/object:os.system", "~", "999999999999999999999", "24:00-24:59"]


@st.composite
def yaml_mutation(draw) -> tuple[Path, bytes]:
    src = draw(st.sampled_from(SCENARIOS))
    text = src.read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["token", "token", "drop", "truncate", "bytes"]))
        k = draw(st.integers(0, len(text)))
        if kind == "token":
            j = draw(st.integers(k, min(len(text), k + 12)))
            text = text[:k] + draw(st.sampled_from(YAML_TOKENS)).encode() + text[j:]
        elif kind == "drop":
            lines = text.split(b"\n")
            del lines[draw(st.integers(0, len(lines) - 1))]
            text = b"\n".join(lines)
        elif kind == "truncate":
            text = text[:k]
        else:
            text = text[:k] + draw(st.binary(max_size=8)) + text[k:]
    return src, text


@settings(FUZZ, max_examples=100)
@given(case=yaml_mutation())
def test_fuzz_scenario_yaml(tmp_path: Path, case: tuple[Path, bytes], monkeypatch) -> None:
    """``planner whatif`` up to the loaded scenario (the answer itself is stubbed out: it takes seconds)."""
    import planner.scenario.whatif as whatif_module

    monkeypatch.setattr(whatif_module, "whatif", lambda *a, **k: sys.exit(0))
    f = tmp_path / case[0].name
    f.write_bytes(case[1])
    data = tmp_path / "new-node-small-5n-73i-mimic.data"
    if not data.exists():
        shutil.copy(ROOT / "scenarios" / data.name, data)
    invoke("scenario YAML", ["whatif", str(f)], [f, data], (str(f), data.name))


# ---------------------------------------------------------------- plan JSON


@pytest.fixture(scope="module")
def plan_json() -> dict:
    res = CliRunner().invoke(cli, ["balance", str(DATA / "tiny-skewed.data"), "--json", "--day-plan"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


@settings(FUZZ, max_examples=150)
@given(data=st.data())
def test_fuzz_plan_json(tmp_path: Path, plan_json: dict, data) -> None:
    p = copy.deepcopy(plan_json)
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from([x for x in _paths(p) if x] or [("steps",)]))
        parent = p
        try:
            for k in path[:-1]:
                parent = parent[k]
            if isinstance(parent, dict) and data.draw(st.booleans()):
                del parent[path[-1]]
            else:
                parent[path[-1]] = data.draw(st.one_of(JSON_VALUES, st.sampled_from(["a", "b", "c", "t1", "t2"])))
        except (KeyError, IndexError, TypeError):
            pass
    raw = json.dumps(p).encode()
    if data.draw(st.integers(0, 9)) == 0:
        raw = raw[:data.draw(st.integers(0, len(raw)))]
    f = tmp_path / "plan.json"
    f.write_bytes(raw)
    src = tmp_path / "c.data"
    shutil.copy(DATA / "tiny-skewed.data", src)
    invoke("plan JSON", ["verify", str(src), str(f)], [f, src], (str(f),), ok=(0, 1))


# ---------------------------------------------------------------- option values


VALUES = ["nan", "-nan", "inf", "-inf", "0", "-0", "-1", "-3", "1", "2", "0.5", "1e400", "1e-400", "abc", "",
          "1,2", "-1,5", "a,b", "09:00-09:00", "24:00-24:59", "22:00-06:00", "09:00-17:00", "9:5-10:00", "99999999999"]
#: (command prefix, option); prefixes that would start real CP-SAT work end in an output path that is refused
BAL = ["balance", "{src}"]
CPSAT = ["balance", "{src}", "--method", "cpsat", "--save-plan", "/nonexistent-dir/p.json"]
OPTIONS = [(BAL, o) for o in ("--min-gain", "--min-gain-limit", "--min-score", "--max-cpu", "--min-disk",
                              "--max-length", "--bandwidth", "--migration-seconds", "--replace-overhead",
                              "--max-per-node", "--jobs-per-day", "--window", "--schedule-time-limit",
                              "--time-limit", "--max-gb")] + \
          [(CPSAT, o) for o in ("--time-limit", "--workers", "--max-gb", "--max-moves", "--target-score", "--seed")] + \
          [(["pareto", "{src}", "--csv", "/nonexistent-dir/o.csv"], o) for o in ("--points", "--time-limit")] + \
          [(["compare", "{src}", "--no-hbal", "--csv", "/nonexistent-dir/o.csv"], "--time-limit")] + \
          [(["check", "{src}", "--no-simulation", "--no-capacity-checks"], o)
           for o in ("--max-cpu", "--min-disk", "--min-score")] + \
          [(["failures", "{src}", "--no-restore"], o) for o in ("--time-limit", "--workers")] + \
          [(["report", "{src}", "--html", "{dir}"], o) for o in ("--window", "--time-limit")] + \
          [(["purchase", str(ROOT / "scenarios" / "buy-for-growth.yaml"), "--save", "/nonexistent-dir/g.data"],
            "--time-limit")]


@settings(FUZZ, max_examples=200)
@given(case=st.sampled_from(OPTIONS), value=st.one_of(st.sampled_from(VALUES), st.text(max_size=6)))
def test_fuzz_option_values(tmp_path: Path, case: tuple[list[str], str], value: str) -> None:
    src = tmp_path / "c.data"
    shutil.copy(DATA / "tiny-skewed.data", src)
    prefix, opt = case
    args = [a.format(src=src, dir=tmp_path) for a in prefix] + [opt, value]
    names = (opt, "/nonexistent", str(src), str(tmp_path))
    invoke("option values", args, [src], names, ok=(0, 1) if prefix[0] == "check" else (0,))
