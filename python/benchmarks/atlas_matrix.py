"""Write an atlas-scale single-cell count matrix (.h5ad) with a known TF network.

`grn simulate --single-cell` integrates a Langevin model for every cell and holds
its snapshots densely, which is what a 50,000-cell x 20,000-gene run cannot afford
(about 5 minutes per 50 M values here, and 33 GB). This script makes matrices of
that size for speed and memory runs only, with a simpler, different model:

- cells fall into `--clusters` states; a TF's log activity in a cell is its
  state's mean (standard normal per state and TF) plus standard normal noise;
- each non-TF gene has 1 to 3 TF regulators, drawn with probability proportional
  to a power law over TFs (hubs, as in real networks), with weights of random
  sign and size uniform in [0.5, 1.5]; its log rate is a gene baseline (normal,
  sd 1) plus the weighted TF activities plus normal noise (sd 0.5);
- counts are negative binomial (gamma-Poisson, dispersion 0.1) around the cell's
  library size (log-normal, median `--library-size`, sd 0.5 in log) times the
  gene's share of the cell's rates.

Writes DIR/counts.h5ad (CSR `X`, float32), DIR/tfs.txt and DIR/gold.tsv (TF,
target, 1). Cells are made `--chunk` at a time, so memory is the sparse result
plus one dense chunk.

    python atlas_matrix.py --cells 50000 --genes 20000 --tfs 1800 --seed 1 -o atlas
"""

import argparse
import pathlib

import anndata
import numpy as np
import pandas as pd
import scipy.sparse as sp


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, required=True)
    ap.add_argument("--genes", type=int, required=True)
    ap.add_argument("--tfs", type=int, required=True)
    ap.add_argument("--clusters", type=int, default=20)
    ap.add_argument("--library-size", type=float, default=5000)
    ap.add_argument("--chunk", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    g, r = args.genes, args.tfs
    genes = [f"G{i + 1}" for i in range(g)]

    hub = (np.arange(1, r + 1) ** -1.0)
    hub /= hub.sum()
    weights = np.zeros((r, g), dtype=np.float32)
    gold = []
    for target in range(r, g):
        regs = rng.choice(r, size=rng.integers(1, 4), replace=False, p=hub)
        for reg in regs:
            weights[reg, target] = rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)
            gold.append((genes[reg], genes[target]))
    baseline = rng.normal(0.0, 1.0, g).astype(np.float32)
    state_means = rng.normal(0.0, 1.0, (args.clusters, r)).astype(np.float32)
    phi = 0.1

    chunks = []
    for start in range(0, args.cells, args.chunk):
        c = min(args.chunk, args.cells - start)
        state = rng.integers(0, args.clusters, c)
        z = state_means[state] + rng.normal(0.0, 1.0, (c, r)).astype(np.float32)
        log_rate = baseline + z @ weights + rng.normal(0.0, 0.5, (c, g)).astype(np.float32)
        log_rate[:, :r] += z
        log_rate -= log_rate.max(axis=1, keepdims=True)
        rate = np.exp(log_rate)
        library = args.library_size * np.exp(rng.normal(0.0, 0.5, c))
        mean = rate * (library / rate.sum(axis=1))[:, None]
        counts = rng.poisson(rng.gamma(1.0 / phi, mean * phi)).astype(np.float32)
        chunks.append(sp.csr_matrix(counts))
        print(f"cells {start + c}/{args.cells}", flush=True)

    x = sp.vstack(chunks, format="csr")
    out = pathlib.Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    cells = pd.DataFrame(index=[f"cell{i + 1}" for i in range(args.cells)])
    adata = anndata.AnnData(X=x, obs=cells, var=pd.DataFrame(index=genes))
    adata.write_h5ad(out / "counts.h5ad")
    (out / "tfs.txt").write_text("\n".join(genes[:r]) + "\n")
    (out / "gold.tsv").write_text("".join(f"{a}\t{b}\t1\n" for a, b in gold))
    print(f"{args.cells} cells x {g} genes, {x.nnz} stored counts "
          f"({x.nnz / (args.cells * g):.1%}), {len(gold)} edges")


if __name__ == "__main__":
    main()
