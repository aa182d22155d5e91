"""GRNBoost2 side by side with the Python peers, whole processes run in turn
(grn CLI, grn from Python, rustscenic, scenic_rs, grn CLI, ...), each output scored
against the gold standard with `grn eval`.

usage: python peers.py GRN_BIN [--expr TSV] [--tfs FILE] [--gold TSV] [--runs N]
           [--oob-improvement paired|consecutive] [--peers-python PATH]
           [--peers rustscenic,scenic_rs] [--no-warm-up]

Defaults: DREAM4 network 1 (`data/`), all genes as regulators, 10 runs, the paired
rule. `--peers-python` is a Python with rustscenic 0.5.1 and scenic-rs installed
(`shared/peers/README.md`); the peers run through `shared/peers/run_peer.py`, which
reports their inference call alone. Every tool gets seed 0.

The Python process is a pySCENIC-style script: import pandas and `grn.algo`,
`pd.read_csv`, `grnboost2(df, ...)`, write the adjacencies. It reports its import,
read and call times, so the Python overhead over the CLI is (read + call) against
the CLI's whole process, which reads the same file and runs the same library call.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
EXPR = REPO / "data" / "insilico_size100_1_multifactorial.tsv"
GOLD = REPO / "data" / "insilico_size100_1_goldstandard.tsv"
PEER = REPO.parent / "shared" / "peers" / "run_peer.py"
PEERS = {"rustscenic": "rustscenic_grnboost2", "scenic_rs": "scenic_rs_grnboost2"}

PY_SCRIPT = """
import sys, time, json
t0 = time.perf_counter()
import pandas as pd
from grn.algo import grnboost2
t1 = time.perf_counter()
df = pd.read_csv(sys.argv[1], sep="\\t")
tfs = [l.strip() for l in open(sys.argv[3]) if l.strip()] if len(sys.argv) > 3 else "all"
t2 = time.perf_counter()
net = grnboost2(df, tf_names=tfs, seed=0, oob_improvement={oob!r})
t3 = time.perf_counter()
net.to_csv(sys.argv[2], sep="\\t", index=False, header=False)
print(json.dumps({{"import": t1 - t0, "read": t2 - t1, "inference": t3 - t2}}))
"""


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, cmd))} failed: {p.stderr}")
    return wall, p.stdout


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def aupr(grn_bin, gold, predicted):
    out = subprocess.run([grn_bin, "eval", "-g", str(gold), "-p", str(predicted)],
                         capture_output=True, text=True, check=True).stdout
    scores = dict(line.split("\t") for line in out.strip().splitlines())
    return float(scores["AUPR"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grn_bin")
    ap.add_argument("--expr", default=str(EXPR))
    ap.add_argument("--tfs")
    ap.add_argument("--gold", default=str(GOLD))
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--oob-improvement", default="paired", choices=["paired", "consecutive"])
    ap.add_argument("--peers-python")
    ap.add_argument("--peers", default="rustscenic,scenic_rs",
                    type=lambda s: [p for p in s.split(",") if p])
    ap.add_argument("--no-warm-up", action="store_true",
                    help="skip the untimed first run of each (for runs of minutes, where "
                         "the page cache and compiled imports do not matter)")
    a = ap.parse_args()
    unknown = sorted(set(a.peers) - set(PEERS))
    if unknown:
        ap.error(f"unknown peers {unknown}; known: {sorted(PEERS)}")
    out = pathlib.Path(tempfile.mkdtemp())
    script = out / "py_grn.py"
    script.write_text(PY_SCRIPT.format(oob=a.oob_improvement))
    tfs = ["--tfs", a.tfs] if a.tfs else []
    cmds = {
        "cli": [a.grn_bin, "infer", "-q", "-m", "grnboost2", "--oob-improvement",
                a.oob_improvement, "-e", a.expr, *tfs, "-o", str(out / "cli.tsv")],
        "python": [sys.executable, str(script), a.expr, str(out / "python.tsv"),
                   *([a.tfs] if a.tfs else [])],
    }
    if a.peers_python:
        for name in a.peers:
            cmds[name] = [a.peers_python, str(PEER), PEERS[name], a.expr,
                          str(out / f"{name}.tsv"), *tfs, "--seed", "0"]
    walls = {k: [] for k in cmds}
    inner = {k: [] for k in cmds if k != "cli"}
    python_read = []
    if not a.no_warm_up:  # page cache, compiled imports
        for c in cmds.values():
            timed(c)
    for _ in range(a.runs):
        for k, c in cmds.items():
            wall, stdout = timed(c)
            walls[k].append(wall)
            if k == "cli":
                continue
            report = json.loads(stdout.strip().splitlines()[-1])
            inner[k].append(report["inference" if k == "python" else "seconds"])
            if k == "python":
                python_read.append(report["read"])
    result = {
        k: {"wall": spread(v), "aupr": aupr(a.grn_bin, a.gold, out / f"{k}.tsv")}
        for k, v in walls.items()
    }
    for k, v in inner.items():
        result[k]["inference"] = spread(v)
    result["python"]["read"] = spread(python_read)
    # Pair by pair, so that the machine's drift cancels out.
    result["python_overhead_over_cli"] = spread(
        [(r + c) / w - 1 for r, c, w in zip(python_read, inner["python"], walls["cli"])])
    for k in a.peers if a.peers_python else []:
        result[f"{k}_call_over_grn_call"] = spread(
            [p / g for p, g in zip(inner[k], inner["python"])])
    result["runs"] = a.runs
    result["oob_improvement"] = a.oob_improvement
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
