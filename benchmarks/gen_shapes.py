"""Large clusters of shapes the shipped bench files do not have, built the way ../shared/bench/README.md
says its large files were: a hail-like allocator that keeps htools' hard limits (memory, disk) and N+1
on every node, bench instance sizes (512 MB-32 GB RAM, disk 10-12.5 x the memory, ~8 % ``plain``,
~3 % ``ADMIN_down``), some nodes preferred (skew). Shapes (``SHAPES``):

- ``mixed-SIZE-6new``: three node models (r640-256, epyc-768, small-128) plus 6 new empty nodes;
- ``drained2-SIZE``: 72 nodes, two nodes drained (written offline, instances still on them), skewed fill;
- ``n1broken-SIZE``: 64 nodes filled with N+1 kept, then 40 more instances placed on 8 nodes' pairs with
  only the hard limits kept: N+1 already fails on several nodes before any move;
- ``groups-SIZE-2g``: two groups of 40 (one with 3 new empty nodes); planned with ``--group g1``.

Usage: ``.venv/bin/python benchmarks/gen_shapes.py OUTDIR [--seed 7]`` writes ``OUTDIR/<shape>.data``
(htools text) for SIZE large (64-90 nodes, 2300-3400 instances) and medium (a quarter of each count),
and prints each file's nodes, instances, initial score and N+1-failing nodes.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

VCPU_RATIO, NOS_CPU = 4.0, 1  #: the policy's vcpu ratio; CPUs the node OS keeps (the file's nos_cpu)
SPINDLE_RATIO = 32.0
#: node models (memory MiB, OS memory MiB, disk MiB, CPUs, spindles) as in models/nodes.yaml
MODELS = {"r640-256": (262144, 4096, 7 * 1024 * 1024, 32, 8), "epyc-768": (786432, 8192, 14648437, 96, 12),
          "small-128": (131072, 2048, 3662109, 16, 4)}
#: instance memory (MiB) and its weight
MEMORY = ((512, 4), (1024, 10), (2048, 14), (4096, 16), (8192, 10), (16384, 4), (32768, 1))


@dataclass
class N:
    name: str
    t_mem: int
    n_mem: int
    t_dsk: int
    cpus: int
    spindles: int
    group: str
    offline: bool = False
    f_mem: int = 0
    f_dsk: int = 0
    vcpus: int = 0  #: vCPUs of the primaries (hbal's vcpu ratio: at most 4 per CPU)
    sp: int = 0  #: spindle use of the instances here, primaries and secondaries (at most 32 per spindle)
    peers: dict[int, int] = field(default_factory=dict)  #: primary node -> memory reserved here

    def __post_init__(self) -> None:
        self.f_mem, self.f_dsk = self.t_mem - self.n_mem, self.t_dsk

    def rmax(self) -> int:
        return max(self.peers.values(), default=0)


@dataclass
class I:  # noqa: E742 (a record)
    name: str
    mem: int
    dsk: int
    vcpus: int
    status: str
    p: int
    s: int
    template: str


def draw(rng: random.Random, k: int) -> tuple[int, int, int, str, str]:
    """One instance: memory, disk, vCPUs, template, status."""
    mem = rng.choices([m for m, _ in MEMORY], [w for _, w in MEMORY])[0]
    dsk = max(10240, int(mem * rng.choice((10, 12.5))))
    vcpus = max(1, min(8, mem // 4096 * 2 or 1))
    template = "plain" if rng.random() < 0.08 else "drbd"
    status = "ADMIN_down" if rng.random() < 0.03 else "running"
    return mem, dsk, vcpus, template, status


def fits(nodes: list[N], mem: int, dsk: int, vcpus: int, p: int, s: int, n1: bool) -> bool:
    """Hard limits and the vCPU ratio on both nodes, and (``n1``) N+1 on both after the placement."""
    a = nodes[p]
    if a.vcpus + vcpus > VCPU_RATIO * (a.cpus - NOS_CPU) or a.sp + 1 > SPINDLE_RATIO * a.spindles:
        return False
    if a.f_mem < mem or a.f_dsk < dsk or (n1 and a.f_mem - mem < a.rmax()):
        return False
    if s < 0:
        return True
    b = nodes[s]
    if b.f_dsk < dsk or b.sp + 1 > SPINDLE_RATIO * b.spindles:
        return False
    return not n1 or b.f_mem >= max(b.rmax(), b.peers.get(p, 0) + mem)


def place(nodes: list[N], insts: list[I], rng: random.Random, count: int, weight: list[float], n1: bool = True,
          tries: int = 60) -> int:
    """Up to ``count`` instances, each on a primary drawn by ``weight`` and a secondary of its group."""
    online = [k for k, n in enumerate(nodes) if not n.offline]
    placed = 0
    for _ in range(count):
        mem, dsk, vcpus, template, status = draw(rng, len(insts))
        for _ in range(tries):
            p = rng.choices(online, [weight[k] for k in online])[0]
            same = [k for k in online if k != p and nodes[k].group == nodes[p].group]
            s = rng.choice(same) if template == "drbd" else -1
            if fits(nodes, mem, dsk, vcpus, p, s, n1):
                nodes[p].vcpus += vcpus
                nodes[p].sp += 1
                nodes[p].f_mem -= mem if status == "running" else 0
                nodes[p].f_dsk -= dsk
                if s >= 0:
                    nodes[s].f_dsk -= dsk
                    nodes[s].sp += 1
                    nodes[s].peers[p] = nodes[s].peers.get(p, 0) + mem
                insts.append(I(f"inst-{len(insts) + 1:05d}", mem, dsk, vcpus, status, p, s, template))
                placed += 1
                break
    return placed


def nodes_of(spec: list[tuple[str, int]], group: str, first: int = 1) -> list[N]:
    out = []
    for model, count in spec:
        t_mem, n_mem, t_dsk, cpus, spindles = MODELS[model]
        for _ in range(count):
            out.append(N(f"node-{group[-2:]}-{first + len(out):03d}", t_mem, n_mem, t_dsk, cpus, spindles, group))
    return out


def text(nodes: list[N], insts: list[I], groups: list[str]) -> str:
    """The htools text format (groups, nodes, instances, no tags, a cluster policy)."""
    g = "\n".join(f"group-{u[-2:]}|{u}|preferred||" for u in groups)
    n = "\n".join(f"{x.name}|{x.t_mem}|{x.n_mem}|{x.f_mem}|{x.t_dsk}|{x.f_dsk}|{x.cpus}|"
                  f"{'Y' if x.offline else ('M' if k == 0 else 'N')}|{x.group}|{x.spindles}||N|0|1|1.000000"
                  for k, x in enumerate(nodes))
    i = "\n".join(f"{x.name}|{x.mem}|{x.dsk}|{x.vcpus}|{x.status}|Y|{nodes[x.p].name}|"
                  f"{nodes[x.s].name if x.s >= 0 else ''}|{x.template}||1|1|N" for x in insts)
    pol = ("|128,1,1024,1,1,1|128,1,1024,1,1,1;32768,8,1048576,16,8,12|"
           "diskless,file,sharedfile,plain,blockdev,drbd,rbd,ext,gluster|4.0|32.0")
    return f"{g}\n\n{n}\n\n{i}\n\n\n{pol}\n"


def skew(nodes: list[N], rng: random.Random, hot: float = 1 / 3, factor: float = 4.0) -> list[float]:
    """A weight per node: ``hot`` of them ``factor`` times as likely to get a primary."""
    return [factor if rng.random() < hot else 1.0 for _ in nodes]


Built = tuple[list[N], list[I], list[str]]


def mixed(rng: random.Random, k) -> Built:
    nodes = nodes_of([("r640-256", k(50)), ("epyc-768", k(16)), ("small-128", k(18))], "gen-uuid-01")
    insts: list[I] = []
    place(nodes, insts, rng, k(3400), skew(nodes, rng))
    nodes += nodes_of([("r640-256", k(4)), ("epyc-768", k(2))], "gen-uuid-01", first=len(nodes) + 1)
    return nodes, insts, ["gen-uuid-01"]


def drained2(rng: random.Random, k) -> Built:
    nodes = nodes_of([("r640-256", k(72))], "gen-uuid-01")
    insts: list[I] = []
    place(nodes, insts, rng, k(2300), skew(nodes, rng, 0.25, 3.0))
    for x in rng.sample(range(1, len(nodes)), 2):
        nodes[x].offline = True
    return nodes, insts, ["gen-uuid-01"]


def n1broken(rng: random.Random, k) -> Built:
    nodes = nodes_of([("r640-256", k(48)), ("small-128", k(16))], "gen-uuid-01")
    insts: list[I] = []
    place(nodes, insts, rng, k(2400), skew(nodes, rng, 0.3, 2.0))
    hot = rng.sample(range(len(nodes)), k(8))
    place(nodes, insts, rng, k(40), [1.0 if x in hot else 0.0 for x in range(len(nodes))], n1=False)
    return nodes, insts, ["gen-uuid-01"]


def groups2(rng: random.Random, k) -> Built:
    a = nodes_of([("r640-256", k(40))], "gen-uuid-01")
    b = nodes_of([("r640-256", k(28)), ("epyc-768", k(12))], "gen-uuid-02", first=len(a) + 1)
    nodes, insts = a + b, []
    place(nodes, insts, rng, k(2600), skew(nodes, rng))
    nodes += nodes_of([("r640-256", k(3))], "gen-uuid-01", first=len(nodes) + 1)
    return nodes, insts, ["gen-uuid-01", "gen-uuid-02"]


#: shape -> builder; names get the size ("mixed-large-..." / "mixed-medium-...")
SHAPES = {"mixed-{size}-6new": mixed, "drained2-{size}": drained2, "n1broken-{size}": n1broken,
          "groups-{size}-2g": groups2}
#: node and instance counts per size, as a share of the large shape's
SIZES = {"large": 1.0, "medium": 0.25}
#: the group a shape is planned in (hbal -G), where it has several
GROUP = {f"groups-{size}-2g": "group-01" for size in SIZES}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sizes", default="large,medium")
    a = ap.parse_args()
    a.outdir.mkdir(parents=True, exist_ok=True)
    from planner.api import load, score_cluster

    for size in a.sizes.split(","):
        for pattern, build in SHAPES.items():
            write(a.outdir, pattern.format(size=size), build, SIZES[size], a.seed, load, score_cluster)


def write(outdir: Path, name: str, build, share: float, seed: int, load, score_cluster) -> None:
    """One shape at one size: the file, and a line with its nodes, instances, score and N+1 failures."""
    nodes, insts, groups = build(random.Random(f"{name}-{seed}"), lambda x: max(2, round(x * share)))
    path = outdir / f"{name}.data"
    path.write_text(text(nodes, insts, groups))
    s = score_cluster(load(path), GROUP.get(name))
    print(f"{path}: {len(nodes)} nodes, {len(insts)} instances, score {s.score:.4f}, "
          f"N+1 failing {len(s.n1_fail_nodes)}", file=sys.stderr)


if __name__ == "__main__":
    main()
