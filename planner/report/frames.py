"""pandas views of a loaded group: one row per node / per instance, with utilisation columns.

Columns follow hbal's ``-p`` node table (memory in MiB, disk in GiB as hbal prints it).

>>> from planner.api import load, group_state
>>> df = nodes_frame(group_state(load("tests/data/n1quirk.data")))
>>> list(df["name"]), list(df["pcnt"]), list(df["r_mem"])
(['nodeA', 'nodeB', 'nodeC'], [1, 1, 0], [1500, 3072, 0])
"""

from __future__ import annotations

import pandas as pd

from planner.engine.state import GroupState, NodeState


def _status(n: NodeState) -> str:
    return "-" if n.offline else ("*" if n.fail_n1 else "")


def node_row(n: NodeState) -> dict:
    """hbal's ``-p`` default fields of one node."""
    return {
        "F": _status(n), "name": n.name, "t_mem": n.t_mem, "n_mem": n.n_mem, "i_mem": n.i_mem,
        "x_mem": n.x_mem, "f_mem": n.f_mem, "u_mem": n.unallocated, "r_mem": n.r_mem,
        "t_dsk": n.t_dsk / 1024, "f_dsk": n.f_dsk / 1024, "pcpu": n.t_cpu, "vcpu": n.u_cpu,
        "pcnt": len(n.plist), "scnt": len(n.slist), "p_fmem": n.p_mem, "p_fdsk": n.p_dsk,
        "r_cpu": n.p_cpu, "lCpu": n.util_load[0], "lMem": n.util_load[1], "lDsk": n.util_load[2],
        "lNet": n.util_load[3],
    }


def nodes_frame(gs: GroupState) -> pd.DataFrame:
    """One row per node of the group, in file order, with utilisation fractions."""
    df = pd.DataFrame([node_row(n) for n in gs.nodes])
    if df.empty:
        return df
    df["mem_used_frac"] = 1.0 - df["p_fmem"]
    df["disk_used_frac"] = 1.0 - df["p_fdsk"]
    df["offline"] = df["F"] == "-"
    df["n1_fail"] = df["F"] == "*"
    return df


def instances_frame(gs: GroupState) -> pd.DataFrame:
    """One row per instance of the group (primary in the group), with its placement."""
    rows = []
    for k in gs.group_instances:
        st = gs.instances[k]
        i = st.inst
        rows.append({
            "name": i.name, "primary": gs.all_nodes[st.pnode].name,
            "secondary": gs.all_nodes[st.snode].name if st.snode >= 0 else None,
            "mem": i.mem, "dsk_gb": i.dsk / 1024, "vcpus": i.vcpus, "status": i.status,
            "template": i.disk_template, "auto_balance": i.auto_balance, "movable": st.movable,
            "running": i.is_running, "forthcoming": i.forthcoming, "tags": ",".join(i.tags),
        })
    return pd.DataFrame(rows)


#: what :func:`usage_frame` plots: (column, label); hbal's ``-p`` fields turned into shares of capacity
USAGE = (("mem_used_pct", "memory used %"), ("disk_used_pct", "disk used %"), ("vcpu_ratio", "vCPUs per pCPU"))


def usage_frame(gs: GroupState) -> pd.DataFrame:
    """Per node: memory and disk used (% of total, from hbal's ``p_fmem``/``p_fdsk``) and vCPUs per pCPU.

    >>> from planner.api import load, group_state
    >>> df = usage_frame(group_state(load("tests/data/n1quirk.data")))
    >>> list(df.columns), len(df)
    (['name', 'mem_used_pct', 'disk_used_pct', 'vcpu_ratio'], 3)
    """
    df = nodes_frame(gs)
    if df.empty:
        return pd.DataFrame(columns=["name", *(c for c, _ in USAGE)])
    return pd.DataFrame({"name": df["name"], "mem_used_pct": 100 * (1 - df["p_fmem"]),
                         "disk_used_pct": 100 * (1 - df["p_fdsk"]), "vcpu_ratio": df["r_cpu"]})


def curve_frame(method: str, initial_score: float, steps) -> pd.DataFrame:
    """A plan's prefixes as a curve: after k moves, the GiB copied so far and the score (row 0: start).

    >>> from planner.domain.plan import Step
    >>> s = [Step("i", "r", "a", "b", "a", "c", 10.0, 3.0), Step("j", "f", "a", "b", "b", "a", 0.0, 2.5)]
    >>> curve_frame("greedy", 4.0, s).values.tolist()
    [['greedy', 0, 0.0, 4.0], ['greedy', 1, 10.0, 3.0], ['greedy', 2, 10.0, 2.5]]
    """
    rows, gb = [{"method": method, "moves": 0, "gb": 0.0, "score": initial_score}], 0.0
    for k, s in enumerate(steps, start=1):
        gb += s.gb_copied
        rows.append({"method": method, "moves": k, "gb": gb, "score": s.score})
    return pd.DataFrame(rows)


def days_frame(plan, days, window: tuple[int, int]) -> pd.DataFrame:
    """The day plan as a table: one row per day with its window times, jobsets, jobs, GiB and hours."""
    first = {j: n for n, js in enumerate(plan.jobsets, start=1) for j in js}
    rows = []
    for d in days:
        start, end = d.start_end(window)
        sets = sorted({first[j] for j in d.jobs})
        rows.append({"day": d.day, "start": start, "end": end,
                     "jobsets": f"{sets[0]}" if len(sets) == 1 else f"{sets[0]}-{sets[-1]}",
                     "jobs": d.n_jobs, "gb": sum(plan.steps[j].gb_copied for j in d.jobs),
                     "hours": d.used_s / 3600, "overrun": d.overrun,
                     "instances": ", ".join(plan.steps[j].instance for j in d.jobs)})
    return pd.DataFrame(rows, columns=["day", "start", "end", "jobsets", "jobs", "gb", "hours", "overrun",
                                       "instances"])


def gantt_frame(plan, days, durations: list[float]) -> pd.DataFrame:
    """One row per (job, node it touches) on the day plan's working-time axis.

    Days follow one another (``start_h``/``end_h`` count working hours from the first day's window
    start); in a day the batches run one after another, each as long as its longest job.
    Columns: node, instance, step, jobset (1-based, the plan's), day, start_h, end_h.
    """
    from planner.domain.plan import jobs_in

    jobset_of = {j: n for n, js in enumerate(plan.jobsets, start=1) for j in js}
    rows, t0 = [], 0.0
    for d in days:
        t = t0
        for batch in d.jobsets:
            jobs = jobs_in(batch, plan.steps)
            for job in jobs:
                start = t
                for k in job:
                    s = plan.steps[k]
                    end = start + durations[k]
                    nodes = dict.fromkeys(n for n in (s.from_primary, s.from_secondary, s.to_primary,
                                                      s.to_secondary) if n)
                    rows += [{"node": n, "instance": s.instance, "step": k + 1, "jobset": jobset_of[k],
                              "day": d.day, "start_h": start / 3600, "end_h": end / 3600} for n in nodes]
                    start = end
            t += max(sum(durations[k] for k in job) for job in jobs)
        t0 += d.used_s
    return pd.DataFrame(rows, columns=["node", "instance", "step", "jobset", "day", "start_h", "end_h"])
