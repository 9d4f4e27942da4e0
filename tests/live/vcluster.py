"""A real Ganeti 3.0 virtual cluster inside a network namespace (see shared spec ganeti-vcluster.md).

Everything (sshd, every Ganeti daemon and client) runs via ``ip netns exec NAME``; the host's
addresses, routes, ``/etc/hosts``, ``/etc/ssh`` and ``~/.ssh`` are never touched.  :meth:`VCluster.down`
stops the daemons by pid file, then deletes the namespace, ``/etc/netns/NAME`` and the scratch root.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

VCLUSTER_SETUP = "/usr/lib/ganeti/tools/vcluster-setup"
NEEDED = (VCLUSTER_SETUP, "/usr/sbin/sshd", "/usr/bin/hbal", "/usr/sbin/gnt-cluster",
          "/usr/share/ganeti/os/noop", "/usr/bin/ssh-keygen", "/usr/sbin/ip")
RAPI_USER, RAPI_PASSWORD = "planner", "vc-secret"
BOUNDS = ("min:disk-size=0,cpu-count=1,disk-count=0,memory-size=1,nic-count=0,spindle-use=0/"
          "max:disk-size=1048576,cpu-count=8,disk-count=16,memory-size=32768,nic-count=8,spindle-use=12")


def missing() -> str | None:
    """Why the cluster cannot be built here (None when it can)."""
    if os.geteuid() != 0:
        return "needs root (ip netns)"
    absent = [p for p in NEEDED if not os.path.exists(p)]
    if absent:
        return "missing " + ", ".join(absent) + " (apt-get install ganeti ganeti-os-noop openssh-server curl)"
    return None


class VCluster:
    """``nodes`` virtual nodes node1..N at PREFIX.10.., cluster address PREFIX.1, in namespace ``name``."""

    def __init__(self, name: str = "", prefix: str = "10.99.0", nodes: int = 3) -> None:
        self.name = name or f"plnvc{os.getpid() % 100000}"
        self.prefix, self.n = prefix, nodes
        self.root = Path(tempfile.mkdtemp(prefix=f"{self.name}-"))
        self.root.chmod(0o755)  # the daemons run as their own users
        self.etc = Path("/etc/netns") / self.name
        self.nodes = [f"node{k + 1}" for k in range(nodes)]
        self.addr = {n: f"{prefix}.{10 + k}" for k, n in enumerate(self.nodes)}
        self.url = f"https://{prefix}.1:5080"
        self.times: dict[str, float] = {}
        self.log: list[str] = []

    # ------------------------------------------------------------------ running things inside
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
        env.pop("PLANNER_RAPI_USER", None)
        env.pop("PLANNER_RAPI_PASSWORD", None)
        return env

    def run(self, *cmd: str, check: bool = True, timeout: float = 120, env: dict | None = None,
            input: str | None = None) -> subprocess.CompletedProcess:
        """Run ``cmd`` inside the namespace."""
        full = ["ip", "netns", "exec", self.name, *cmd]
        p = subprocess.run(full, capture_output=True, text=True, timeout=timeout, env=env or self.env(),
                           input=input)
        self.log.append(f"$ {' '.join(cmd)} -> {p.returncode}")
        if check and p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
        return p

    def gnt(self, command: str, node: str = "node1", check: bool = True) -> subprocess.CompletedProcess:
        """A Ganeti client command run as ``node`` (its ``cmd`` wrapper)."""
        return self.run(str(self.root / node / "cmd"), command, check=check)

    def popen_args(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.name, *cmd]

    # ------------------------------------------------------------------ bring-up
    def up(self, instances: list[tuple[str, str, str, int, int, bool]]) -> None:
        """Namespace, sshd, cluster, nodes, then ``(name, template, node, MiB, vcpus, running)`` instances."""
        t0 = time.monotonic()
        self._namespace()
        self._sshd()
        self.times["namespace+sshd_s"] = time.monotonic() - t0
        t1 = time.monotonic()
        self._init()
        self.times["cluster_init+nodes_s"] = time.monotonic() - t1
        t2 = time.monotonic()
        for inst in instances:
            self.add_instance(*inst)
        self.times["instances_s"] = time.monotonic() - t2
        self._wait_rapi()
        self.times["bring_up_s"] = time.monotonic() - t0

    def _namespace(self) -> None:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        self.run("ip", "link", "set", "lo", "up")
        for a in [f"{self.prefix}.1", *self.addr.values()][1:]:
            self.run("ip", "addr", "add", f"{a}/32", "dev", "lo")
        self.run("ip", "link", "add", "xen-br0", "type", "bridge")
        self.run("ip", "link", "set", "xen-br0", "up")
        (self.etc / "ssh").mkdir(parents=True)
        host = [ln for ln in Path("/etc/hosts").read_text().splitlines() if not ln.startswith(self.prefix + ".")]
        host += [f"{self.prefix}.1 cluster"] + [f"{a} {n}" for n, a in self.addr.items()]
        host += [f"{self.prefix}.{100 + k} instance{k + 1}" for k in range(20)]
        (self.etc / "hosts").write_text("\n".join(host) + "\n")

    def _sshd(self) -> None:
        ssh, keys = self.etc / "ssh", self.root / "ssh"
        keys.mkdir(mode=0o700)
        for t in ("rsa", "ed25519"):
            subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", t, "-f", str(ssh / f"ssh_host_{t}_key")], check=True)
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", str(keys / "id")], check=True)
        shutil.copy(keys / "id.pub", keys / "authorized_keys")
        listen = "".join(f"ListenAddress {a}\n" for a in self.addr.values())
        (ssh / "sshd_config").write_text(
            f"{listen}HostKey /etc/ssh/ssh_host_rsa_key\nHostKey /etc/ssh/ssh_host_ed25519_key\n"
            f"PidFile {self.root}/sshd.pid\nAuthorizedKeysFile {keys}/authorized_keys\n"
            "PermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\nPasswordAuthentication no\n")
        (ssh / "ssh_config").write_text(
            f"Host *\n  IdentityFile {keys}/id\n  BatchMode yes\n  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n  GlobalKnownHostsFile /dev/null\n  LogLevel ERROR\n")
        Path("/run/sshd").mkdir(exist_ok=True)
        self.run("/usr/sbin/sshd", "-f", "/etc/ssh/sshd_config")
        for _ in range(100):
            if self.run("ssh", "root@node1", "true", check=False, timeout=10).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("sshd in the namespace does not answer")

    def _init(self) -> None:
        self.run(VCLUSTER_SETUP, "-E", "-N", "-c", str(self.n), "-i", "0", "-p", self.prefix, str(self.root))
        shared = self.root / "shared"
        shared.mkdir()
        for n, a in self.addr.items():
            d = self.root / n
            defaults = d / "etc/default/ganeti"
            text = defaults.read_text().replace("MOND_ARGS=''", f"MOND_ARGS='-b {a}'")
            if n == "node1":
                text = text.replace(f"RAPI_ARGS='-b {a}'", "RAPI_ARGS='-b 0.0.0.0'")
            defaults.write_text(text)
            sfs = d / "srv/ganeti/shared-file-storage"
            sfs.parent.mkdir(parents=True, exist_ok=True)
            if sfs.exists():
                sfs.rmdir()
            sfs.symlink_to(shared)
        paths = [str(shared)] + [str(self.root / n / "srv/ganeti/shared-file-storage") for n in self.nodes]
        for n in self.nodes:  # the cluster's path is the master's, every node must accept it
            (self.root / n / "etc/ganeti/file-storage-paths").write_text("\n".join(paths) + "\n")
        self.gnt("gnt-cluster init --no-etc-hosts --no-ssh-init --master-netdev=lo --enabled-hypervisors=fake "
                 "--enabled-disk-templates=diskless,sharedfile --ipolicy-disk-templates=diskless,sharedfile "
                 f"--ipolicy-vcpu-ratio=32 --ipolicy-bounds-specs={BOUNDS} cluster")
        users = self.root / "node1/var/lib/ganeti/rapi/users"
        users.write_text(f"{RAPI_USER} {RAPI_PASSWORD} write\n")
        shutil.chown(users, "gnt-rapi", "gnt-masterd")
        users.chmod(0o640)
        for n in self.nodes[1:]:
            self.gnt(f"gnt-node add --no-ssh-key-check {n}")

    def add_instance(self, name: str, template: str, node: str, mem: int, vcpus: int, running: bool = True) -> None:
        disk = " --disk 0:size=64m" if template != "diskless" else ""
        start = "" if running else " --no-start"
        self.gnt(f"gnt-instance add -o noop --no-ip-check --no-name-check --no-nics -t {template}{disk}{start} "
                 f"-B memory={mem},vcpus={vcpus} -n {node} {name}")

    def _wait_rapi(self) -> None:
        for _ in range(200):
            p = self.run("curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", self.url + "/2/info", check=False)
            if p.stdout.strip() == "200":
                return
            time.sleep(0.05)
        raise RuntimeError("RAPI does not answer")

    # ------------------------------------------------------------------ teardown
    def pids(self) -> list[int]:
        p = subprocess.run(["ip", "netns", "pids", self.name], capture_output=True, text=True)
        return [int(x) for x in p.stdout.split()]

    def down(self) -> list[int]:
        """Stop everything; returns the pids still in the namespace before it was forced (should be [])."""
        t0 = time.monotonic()
        pidfiles = list(self.root.glob("node*/var/run/ganeti/*.pid")) + [self.root / "sshd.pid"]
        for f in pidfiles:
            try:
                os.kill(int(f.read_text().split()[0]), signal.SIGTERM)
            except (OSError, ValueError, IndexError):
                pass
        left: list[int] = []
        for _ in range(100):
            left = self.pids() if Path(f"/run/netns/{self.name}").exists() else []
            if not left:
                break
            time.sleep(0.05)
        for pid in left:  # anything started without a pid file (it should not happen)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        shutil.rmtree(self.etc, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)
        self.times["teardown_s"] = time.monotonic() - t0
        return left
