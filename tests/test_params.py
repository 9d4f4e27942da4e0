"""Option values are checked in one place (planner/cli/params.py): one line naming the option, exit 2 (issue 22).

Each case is a defect of issue 22 that ran (or crashed with a traceback) on main before this change."""

from __future__ import annotations

import pytest

from planner.cli.main import main
from tests.helpers import DATA, ROOT

SRC = str(DATA / "tiny-skewed.data")
NO_OFFLINE = str(DATA / "tiny-skewed.data")


def run(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(list(args))
    out = capsys.readouterr()
    return e.value.code, out.out, out.err


BAD = [
    # nan: "ValueError: cannot convert float NaN to integer" on main
    (["balance", SRC, "--bandwidth", "nan"], "--bandwidth", "finite"),
    (["balance", SRC, "--migration-seconds", "nan"], "--migration-seconds", "finite"),
    (["balance", SRC, "--replace-overhead", "nan"], "--replace-overhead", "finite"),
    (["balance", SRC, "--max-cpu", "nan"], "--max-cpu", "finite"),
    (["balance", SRC, "--min-disk", "nan"], "--min-disk", "finite"),
    (["balance", SRC, "--method", "cpsat", "--max-gb", "nan"], "--max-gb", "finite"),
    (["balance", SRC, "--method", "cpsat", "--target-score", "nan"], "--target-score", "finite"),
    # --time-limit: inf ran without end, 0 meant the default, -1 and nan ran
    (["balance", SRC, "--method", "cpsat", "--time-limit", "inf"], "--time-limit", "finite"),
    (["balance", SRC, "--method", "cpsat", "--time-limit", "0"], "--time-limit", "> 0"),
    (["balance", SRC, "--method", "cpsat", "--time-limit", "-1"], "--time-limit", "> 0"),
    (["balance", SRC, "--method", "cpsat", "--time-limit", "nan"], "--time-limit", "finite"),
    (["pareto", SRC, "--time-limit", "-1"], "--time-limit", "> 0"),
    (["pareto", SRC, "--time-limit", "nan"], "--time-limit", "finite"),
    (["compare", SRC, "--no-hbal", "--time-limit", "-1"], "--time-limit", "> 0"),
    (["compare", SRC, "--no-hbal", "--time-limit", "nan"], "--time-limit", "finite"),
    (["failures", SRC, "--time-limit", "nan"], "--time-limit", "finite"),
    # out of range, accepted on main
    (["balance", SRC, "--method", "cpsat", "--workers", "0"], "--workers", ">= 1"),
    (["balance", SRC, "--method", "cpsat", "--workers", "-3"], "--workers", ">= 1"),
    (["failures", SRC, "--workers", "0"], "--workers", ">= 1"),
    (["balance", SRC, "--schedule-time-limit", "-1"], "--schedule-time-limit", "> 0"),
    (["balance", SRC, "--min-gain", "nan"], "--min-gain", "finite"),
    (["balance", SRC, "--min-score", "nan"], "--min-score", "finite"),
    (["check", SRC, "--min-score", "nan"], "--min-score", "finite"),
    (["balance", SRC, "--min-disk", "2"], "--min-disk", "<= 1"),
    (["check", SRC, "--min-disk", "2"], "--min-disk", "<= 1"),
    (["balance", SRC, "--max-cpu", "-1"], "--max-cpu", "> 0"),
    (["balance", SRC, "--window", "09:00-09:00"], "--window", "same time"),
    (["balance", SRC, "--window", "24:00-24:59"], "--window", "23:59"),
    (["report", SRC, "--window", "24:00-08:00"], "--window", "23:59"),
    (["pareto", SRC, "--points", "-1"], "--points", ">= 0"),
    (["pareto", SRC, "--points", "a,b"], "--points", "integers"),  # blamed '<input>' on main
    # --max-gb -5 / --max-moves -1 said "cannot empty the offline nodes" on main
    (["balance", NO_OFFLINE, "--method", "cpsat", "--max-gb", "-5"], "--max-gb", ">= 0"),
    (["balance", NO_OFFLINE, "--method", "cpsat", "--max-moves", "-1"], "--max-moves", ">= 0"),
    # greedy ignored CP-SAT-only options whatever their value
    (["balance", SRC, "--time-limit", "5"], "--time-limit", "applies to --method cpsat"),
    (["balance", SRC, "--max-gb", "10"], "--max-gb", "applies to --method cpsat"),
    (["balance", SRC, "--workers", "2"], "--workers", "applies to --method cpsat"),
    (["balance", SRC, "--method", "cpsat", "--max-length", "3"], "--max-length", "applies to --method greedy"),
    # click.FloatRange lets nan through: purchase ran CP-SAT "in nan s" on main
    (["purchase", str(ROOT / "scenarios" / "buy-for-growth.yaml"), "--time-limit", "nan"], "--time-limit", "finite"),
]


@pytest.mark.parametrize(("args", "opt", "says"), BAD, ids=[" ".join(a[2:]) + f" ({a[0]})" for a, _, _ in BAD])
def test_bad_option_value_is_one_line_naming_the_option(capsys, args: list[str], opt: str, says: str) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2 and out == "", (out, err)
    assert err.count("\n") == 1 and err.startswith(f"planner: error: {opt}: ") and says in err, err
    assert "offline" not in err


def test_usage_error_is_one_line(capsys) -> None:
    """click printed usage, "Try ..." and the error: three lines."""
    code, _, err = run(capsys, "balance", SRC, "--no-such-option")
    assert code == 2 and err.count("\n") == 1 and err.startswith("planner: error: "), err


def test_good_values_still_run(capsys) -> None:
    code, out, _ = run(capsys, "balance", SRC, "-l", "1", "--window", "22:00-06:00", "--min-disk", "0.1",
                       "--day-plan")
    assert code == 0 and "Day plan" in out and "22:00" in out
    code, _, _ = run(capsys, "balance", SRC, "--window", "09:00-24:00", "--max-length", "0")
    assert code == 0
