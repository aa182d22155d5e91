"""Whole-process timings on DREAM4 network 1, GRNBoost2: the grn CLI, grn from
Python (arboreto API), and optionally rustscenic, run in turn (A B C A B C ...).

usage: python dream4.py GRN_BIN [--runs N] [--rustscenic-python PATH] [--method grnboost2|genie3]

Each run is a fresh process: interpreter start and imports are part of the Python
figures, as they are of a pySCENIC script. The Python process also reports the
time of the inference call alone, which is what the CLI's process mostly is.
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
PEER = REPO.parent / "shared" / "peers" / "run_peer.py"

PY_SCRIPT = """
import sys, time, json
t0 = time.perf_counter()
import pandas as pd
from grn.algo import {method}
df = pd.read_csv(sys.argv[1], sep="\\t")
t1 = time.perf_counter()
net = {method}(df, seed=0)
t2 = time.perf_counter()
net.to_csv(sys.argv[2], sep="\\t", index=False, header=False)
print(json.dumps({{"inference": t2 - t1, "in_process": time.perf_counter() - t0}}))
"""


def timed(cmd):
    t0 = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed: {p.stderr}")
    return wall, p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("grn_bin")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--rustscenic-python")
    ap.add_argument("--method", default="grnboost2", choices=["grnboost2", "genie3"])
    a = ap.parse_args()
    out = pathlib.Path(tempfile.mkdtemp())
    script = out / "py_grn.py"
    script.write_text(PY_SCRIPT.format(method=a.method))
    cmds = {
        "cli": [a.grn_bin, "infer", "-q", "-m", a.method, "-e", str(EXPR), "-o", str(out / "cli.tsv")],
        "python": [sys.executable, str(script), str(EXPR), str(out / "py.tsv")],
    }
    if a.rustscenic_python and a.method == "grnboost2":
        cmds["rustscenic"] = [a.rustscenic_python, str(PEER), "rustscenic_grnboost2", str(EXPR),
                              str(out / "rs.tsv")]
    walls = {k: [] for k in cmds}
    inner = {"python": [], "rustscenic": []}
    for k, c in cmds.items():  # warm-up (page cache, imports compiled)
        timed(c)
    for _ in range(a.runs):
        for k, c in cmds.items():
            wall, stdout = timed(c)
            walls[k].append(wall)
            if k == "python":
                inner["python"].append(json.loads(stdout)["inference"])
            elif k == "rustscenic":
                inner["rustscenic"].append(json.loads(stdout.strip().splitlines()[-1])["seconds"])
    result = {
        k: {"wall_median": statistics.median(v), "wall_min": min(v), "wall_max": max(v)}
        for k, v in walls.items()
    }
    for k, v in inner.items():
        if v:
            result[k]["inference_median"] = statistics.median(v)
    result["runs"] = a.runs
    result["method"] = a.method
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
