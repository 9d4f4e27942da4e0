"""A fake Ganeti RAPI on 127.0.0.1 for unit tests: serves a dump, runs jobs on it, logs every request.

Jobs end as soon as they are submitted (``success``, the move applied to the served instances), unless
``fail[instance]`` holds an error text (``error``, nothing moved) or the instance is in ``hold``: then
the job stays ``running`` until ``release(instance)``; ``/2/jobs/ID/wait`` blocks on an event, never sleeps.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROUTES = {"/2/groups": "groups.json", "/2/nodes": "nodes.json", "/2/instances": "instances.json",
          "/2/info": "info.json"}


class FakeRapi:
    def __init__(self, dump: Path) -> None:
        self.data = {f: json.loads((dump / f).read_text()) for f in ROUTES.values()}
        self.jobs: dict[int, dict[str, Any]] = {}
        self.log: list[tuple[str, str, Any, str | None]] = []  #: method, path, body, Authorization
        self.fail: dict[str, str] = {}
        self.hold: dict[str, threading.Event] = {}
        self.status_for: dict[str, int] = {}  #: path → HTTP status answered once
        self.version: Any = 2
        self.changed = threading.Condition()
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ the cluster
    def instance(self, name: str) -> dict[str, Any]:
        return next(i for i in self.data["instances.json"] if i["name"] == name)

    def _apply(self, name: str, op: str, body: dict[str, Any]) -> None:
        i = self.instance(name)
        if op == "replace-disks":
            i["snodes"] = [body["remote_node"]]
        elif "target_node" in body:
            i["pnode"] = body["target_node"]
        else:
            i["pnode"], i["snodes"] = i["snodes"][0], [i["pnode"]]

    def _finish(self, job_id: int) -> None:
        job = self.jobs[job_id]
        name, op, body = job["_args"]
        if name in self.fail:
            job.update(status="error", opstatus=["error"],
                       opresult=[["OpPrereqError", [self.fail[name], "wrong_input"]]])
        else:
            self._apply(name, op, body)
            job.update(status="success", opstatus=["success"], opresult=[None])
        with self.changed:
            self.changed.notify_all()

    def submit(self, name: str, op: str, body: dict[str, Any]) -> int:
        with self.lock:
            job_id = len(self.jobs) + 1
            self.jobs[job_id] = {"id": job_id, "status": "running", "opstatus": ["running"], "opresult": [None],
                                 "start_ts": [0, 0], "end_ts": None, "_args": (name, op, body)}
        if name in self.hold:
            threading.Thread(target=self._finish_when_released, args=(name, job_id), daemon=True).start()
        else:
            self._finish(job_id)
        return job_id

    def _finish_when_released(self, name: str, job_id: int) -> None:
        self.hold[name].wait()
        self._finish(job_id)

    def release(self, name: str) -> None:
        self.hold[name].set()

    def job_view(self, job_id: int) -> dict[str, Any]:
        return {k: v for k, v in self.jobs[job_id].items() if not k.startswith("_")}

    def submitted(self) -> list[tuple[str, str, Any]]:
        return [(m, p, b) for m, p, b, _ in self.log if m in ("PUT", "POST")]


def _handler(fake: FakeRapi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _body(self) -> Any:
            n = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(n)) if n else None

        def _send(self, code: int, data: Any) -> None:
            body = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _route(self) -> None:
            body = self._body()
            path = self.path.split("?")[0]
            fake.log.append((self.command, self.path, body, self.headers.get("Authorization")))
            code = fake.status_for.pop(path, None)
            if code is not None:
                self._send(code, {"code": code, "message": f"injected {code}"})
                return
            parts = path.strip("/").split("/")
            if self.command == "GET":
                self._get(path, parts, body)
            elif len(parts) == 4 and parts[1] == "instances":
                self._send(200, fake.submit(parts[2], parts[3], body or {}))
            else:
                self._send(404, {"message": "no such resource"})

        def _get(self, path: str, parts: list[str], body: Any) -> None:
            if path == "/version":
                self._send(200, fake.version)
            elif path in ROUTES:
                self._send(200, fake.data[ROUTES[path]])
            elif path == "/2/jobs":
                self._send(200, [{"id": j, "uri": f"/2/jobs/{j}"} for j in fake.jobs])
            elif len(parts) >= 3 and parts[1] == "jobs" and int(parts[2]) in fake.jobs:
                job_id = int(parts[2])
                if len(parts) == 4:  # wait: answer when the status differs from the caller's
                    prev = (body or {}).get("previous_job_info")
                    with fake.changed:
                        fake.changed.wait_for(lambda: [fake.jobs[job_id]["status"]] != prev, timeout=10)
                    self._send(200, {"job_info": [fake.jobs[job_id]["status"]], "log_entries": []})
                else:
                    self._send(200, fake.job_view(job_id))
            else:
                self._send(404, {"message": "no such resource"})

        do_GET = do_PUT = do_POST = _route  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serve(fake: FakeRapi) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        for ev in fake.hold.values():
            ev.set()
        server.shutdown()
        server.server_close()
