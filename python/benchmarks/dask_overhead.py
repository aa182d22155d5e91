"""What distribution costs: one `grn infer` process against `grn.dask.infer` on a
LocalCluster (by default as many 1-thread worker processes as the CLI has
threads), run back to back (single, dask, single, dask, ...), outputs compared
byte for byte.

usage: python dask_overhead.py GRN_BIN EXPR TFS [--runs N] [--workers W]
       [--threads-per-worker T] [--threads-per-task T] [--blocks B]
       [--normalize M] [--method M] [--oob-improvement R] [--out DIR]

The Dask time is the whole of it: cluster start-up, every worker's read of the
file, the blocks and the merge. Where it goes is reported from the scheduler's
task stream: each block's compute time on its worker (a worker's first block
includes its read of the file), the start-up before the first block and the tail
after the last. The load average is printed beside every run, since the machine
may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def single(args, out: pathlib.Path) -> float:
    cmd = [args.grn, "infer", "-q", "-e", args.expr, "--normalize", args.normalize,
           "--tfs", args.tfs, "-m", args.method, "-o", str(out)]
    if args.oob_improvement:
        cmd += ["--oob-improvement", args.oob_improvement]
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - started


def dask(args, out: pathlib.Path) -> dict:
    started = time.perf_counter()
    from distributed import Client, LocalCluster

    import grn
    import grn.dask

    with LocalCluster(n_workers=args.workers, threads_per_worker=args.threads_per_worker,
                      processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        up = time.perf_counter()
        call_wall = time.time()  # the task stream's clock
        from distributed import get_task_stream

        with get_task_stream(client) as ts:
            net = grn.dask.infer(args.expr, args.method, client=client, tfs=args.tfs,
                                 normalize=args.normalize, blocks=args.blocks,
                                 oob_improvement=args.oob_improvement,
                                 threads_per_task=args.threads_per_task)
        done = time.perf_counter()
        grn.write_tsv(net, out)
        blocks = []
        for task in ts.data:
            for ss in task["startstops"]:
                if ss["action"] == "compute":
                    blocks.append((task["worker"], ss["start"], ss["stop"]))
    wall = time.perf_counter() - started
    first = min(b[1] for b in blocks)
    last = max(b[2] for b in blocks)
    per_worker = {}
    for w, a, b in blocks:
        per_worker.setdefault(w, []).append(round(b - a, 1))
    return {
        "wall": wall,
        "cluster_start": up - started,
        "infer_call": done - up,
        "blocks_s": sorted(per_worker.values()),
        "busy_per_worker": sorted(round(sum(v), 1) for v in per_worker.values()),
        "first_block_starts_after": round(first - call_wall, 1),
        "blocks_span": round(last - first, 1),
        "after_cluster_close": round(wall - (done - started), 1),
    }


def main() -> int:
    args = parse()
    out = pathlib.Path(args.out or tempfile.mkdtemp(prefix="dask-overhead-"))
    out.mkdir(parents=True, exist_ok=True)
    for run in range(1, args.runs + 1):
        s_out, d_out = out / f"single.{run}.tsv", out / f"dask.{run}.tsv"
        if args.only != "dask":
            before = load()
            t = single(args, s_out)
            print(json.dumps({"run": run, "what": "single", "wall": round(t, 1),
                              "load_before": before, "load_after": load()}), flush=True)
        if args.only != "single":
            before = load()
            # A fresh interpreter, so imports are part of the figure as in a script.
            code = (f"import sys, json, pathlib; sys.argv = {sys.argv!r}; "
                    f"sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r}); "
                    "import dask_overhead as b; a = b.parse(); "
                    f"print(json.dumps(b.dask(a, pathlib.Path({str(d_out)!r}))))")
            started = time.perf_counter()
            res = subprocess.run([sys.executable, "-c", code], check=True,
                                 capture_output=True, text=True)
            r = json.loads(res.stdout.strip().splitlines()[-1])
            r.update(run=run, what="dask", process_wall=round(time.perf_counter() - started, 1),
                     load_before=before, load_after=load())
            r["wall"] = round(r["wall"], 1)
            r["cluster_start"] = round(r["cluster_start"], 1)
            r["infer_call"] = round(r["infer_call"], 1)
            if s_out.exists():
                r["identical"] = s_out.read_bytes() == d_out.read_bytes()
            print(json.dumps(r), flush=True)
    return 0


def parse():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("grn")
    p.add_argument("expr")
    p.add_argument("tfs")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads-per-worker", type=int, default=1)
    p.add_argument("--threads-per-task", type=int, default=1)
    p.add_argument("--blocks", type=int, default=None)
    p.add_argument("--normalize", default="log-total")
    p.add_argument("--method", default="grnboost2")
    p.add_argument("--oob-improvement", default="consecutive")
    p.add_argument("--out", default=None)
    p.add_argument("--only", choices=["single", "dask"], default=None)
    a = p.parse_args()
    a.expr = os.path.abspath(a.expr)
    a.tfs = os.path.abspath(a.tfs)
    return a


if __name__ == "__main__":
    sys.exit(main())
