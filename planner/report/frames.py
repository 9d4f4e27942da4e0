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
