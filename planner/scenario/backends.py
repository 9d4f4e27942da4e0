"""Where a sweep's points run: a ``concurrent.futures`` process pool, or a Dask distributed cluster.

Both hand back ``{point: (row, seconds)}`` and whether Ctrl-C stopped them; a point whose worker
died is an error row.  Dask is optional (``pip install 'planner[dask]'``) and imported only here,
only when asked for.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import as_completed as pool_completed

from planner.domain.errors import PlannerError
from planner.scenario.point import SweepOptions, Task, run_point

Done = dict[int, tuple[dict, float]]


def _lost(task: Task, e: BaseException) -> tuple[dict, float]:
    head = {"point": task.index, **{k: v for k, v in task.values.items()}}
    return head | {"error": f"worker lost: {type(e).__name__}: {e}"}, float("nan")


def _collect(futures: dict, completed, on_row: Callable[[dict], None] | None) -> tuple[Done, bool]:
    """Rows as the futures end (``completed``: the backend's ``as_completed``); Ctrl-C: those so far."""
    done: Done = {}
    try:
        for fut in completed(list(futures)):
            task = futures[fut]
            try:
                done[task.index] = fut.result()
            except Exception as e:  # noqa: BLE001  (the process or worker died: an error row)
                done[task.index] = _lost(task, e)
            if on_row:
                on_row(done[task.index][0])
    except KeyboardInterrupt:
        return done, True
    return done, False


def run_pool(todo: list[Task], opts: SweepOptions, on_row=None) -> tuple[Done, bool]:
    """The points on ``opts.workers`` spawned processes."""
    ex = ProcessPoolExecutor(max_workers=max(1, opts.workers), mp_context=multiprocessing.get_context("spawn"))
    interrupted = True
    try:
        done, interrupted = _collect({ex.submit(run_point, t): t for t in todo}, pool_completed, on_row)
    finally:
        if interrupted:
            _stop_workers(ex)
        ex.shutdown(wait=not interrupted, cancel_futures=True)
    return done, interrupted


def _stop_workers(ex: ProcessPoolExecutor) -> None:
    """End the pool's processes now (Ctrl-C): the points they run are dropped, not waited for."""
    stop = getattr(ex, "terminate_workers", None)  # Python 3.14+
    if stop is not None:
        stop()
        return
    for proc in list((getattr(ex, "_processes", None) or {}).values()):  # before 3.14: no public way
        proc.terminate()


def dask_client(address: str, workers: int):
    """A Dask client: on a new LocalCluster (127.0.0.1, ``workers`` processes of one thread, no
    dashboard) for "local", else connected to ``address``; (client, cluster or None)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise PlannerError("--dask", None, "Dask is not installed: pip install 'planner[dask]'") from None
    if address == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, silence_logs=logging.ERROR)
        return Client(cluster), cluster
    try:
        return Client(address, timeout="15s"), None
    except (OSError, TimeoutError, ValueError) as e:
        raise PlannerError(f"--dask {address}", None, f"cannot reach the scheduler: {e}") from None


def run_dask(todo: list[Task], opts: SweepOptions, on_row=None) -> tuple[Done, bool, str]:
    """The points on a Dask cluster (see :func:`dask_client`); also the backend's name."""
    from dask.distributed import as_completed

    client, cluster = dask_client(opts.dask, opts.workers)
    interrupted = True
    try:
        futures = {client.submit(run_point, t, pure=False): t for t in todo}
        done, interrupted = _collect(futures, as_completed, on_row)
        if interrupted:
            client.cancel(list(futures))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return done, interrupted, f"dask {opts.dask}"
