"""Writes the single-cell fixtures in this directory and what the Python readers
see in them (expected.json), so the Rust tests need no Python.

Every file is written by the package users write it with: anndata for .h5ad,
scipy.io.mmwrite for Matrix Market, h5py in Cell Ranger's layout for the 10x .h5,
loompy for .loom. The expected values are read back through anndata / scanpy /
loompy, not from the arrays we wrote, so the tests compare against those readers.

    python3 -m venv /work/venv-sc
    /work/venv-sc/bin/pip install anndata scanpy loompy h5py scipy numpy pandas
    /work/venv-sc/bin/python tests/data/singlecell/make_fixtures.py
"""

import gzip
import json
import os
import shutil
import warnings
from pathlib import Path

import anndata as ad
import h5py
import loompy
import numpy as np
import pandas as pd
import scanpy as sc
import scipy.io
import scipy.sparse as sp

warnings.filterwarnings("ignore")
HERE = Path(__file__).resolve().parent
rng = np.random.default_rng(12)

N_CELLS, N_GENES = 9, 7
CELLS = [f"AAAC{i:02d}-1" for i in range(N_CELLS)]
GENES = [f"ENSG{i:05d}" for i in range(N_GENES)]
# Two genes share a symbol, as mitochondrial and readthrough genes do in 10x files.
SYMBOLS = ["CD3E", "MS4A1", "LYZ", "NKG7", "MS4A1", "GNLY", "CD14"]
CELL_TYPE = ["T", "B", "T", "NK", "B", "T", "Mono", "NK", "T"]


def counts(n_cells, n_genes):
    x = rng.poisson(2.0, size=(n_cells, n_genes)).astype(np.float32)
    x[rng.random(x.shape) < 0.4] = 0
    return x


X = counts(N_CELLS, N_GENES)
RAW_GENES = GENES + ["ENSG09998", "ENSG09999"]
RAW = np.concatenate([X, counts(N_CELLS, 2)], axis=1)
LAYER = (X * 10).astype(np.float32)


def adata(x):
    var = pd.DataFrame(
        {
            "gene_symbols": SYMBOLS,
            "symbol_cat": pd.Categorical(SYMBOLS),
            "n_cells": (X > 0).sum(axis=0),
        },
        index=GENES,
    )
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical(CELL_TYPE), "batch": ["a", "b"] * 4 + ["a"]},
        index=CELLS,
    )
    a = ad.AnnData(X=x, obs=obs, var=var)
    a.layers["counts"] = sp.csr_matrix(LAYER)
    raw = ad.AnnData(X=sp.csr_matrix(RAW), var=pd.DataFrame(index=RAW_GENES), obs=obs)
    a.raw = raw
    return a


def dense_gxc(m):
    m = m.toarray() if sp.issparse(m) else np.asarray(m)
    return [[float(v) for v in row] for row in m.T]


expected = {}


def record(name, a, layer=None, raw=False):
    if raw:
        m, genes = a.raw.X, list(a.raw.var_names)
    else:
        m, genes = (a.layers[layer] if layer else a.X), list(a.var_names)
    expected[name] = {"genes": genes, "cells": list(a.obs_names), "values": dense_gxc(m)}


def h5ad(name, x, **kw):
    path = HERE / name
    adata(x).write_h5ad(path, **kw)
    back = ad.read_h5ad(path)
    record(name, back)
    return back


back = h5ad("dense.h5ad", X)
record("dense.h5ad:layer=counts", back, layer="counts")
record("dense.h5ad:raw", back, raw=True)
h5ad("csr.h5ad", sp.csr_matrix(X))
h5ad("csc.h5ad", sp.csc_matrix(X))
h5ad("gzip.h5ad", sp.csr_matrix(X), compression="gzip")
h5ad("lzf.h5ad", X, compression="lzf")
h5ad("lzf_csr.h5ad", sp.csr_matrix(X), compression="lzf")
expected["categorical"] = {
    "symbol_cat": list(back.var["symbol_cat"].astype(str)),
    "unique": list(
        ad.utils.make_index_unique(pd.Index(back.var["symbol_cat"].astype(str)))
    ),
    "cells_T": [c for c, t in zip(CELLS, CELL_TYPE) if t == "T"],
}

# 10x Matrix Market, version 3 (features.tsv with a feature type column, one
# antibody feature that the gene-expression reader leaves out), gzipped and plain,
# and version 2 (genes.tsv, two columns).
FEATURES = [(g, s, "Gene Expression") for g, s in zip(GENES, SYMBOLS)]
FEATURES.append(("CD3_TotalSeqB", "CD3", "Antibody Capture"))
X10 = np.concatenate([X, counts(N_CELLS, 1)], axis=1)


def write_text(path, lines, gz):
    data = "".join(line + "\n" for line in lines).encode()
    if gz:
        with gzip.GzipFile(path.with_name(path.name + ".gz"), "wb", mtime=0) as f:
            f.write(data)
    else:
        path.write_bytes(data)


def mtx_dir(name, v3, gz):
    d = HERE / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir()
    feats = FEATURES if v3 else FEATURES[:-1]
    m = X10 if v3 else X
    scipy.io.mmwrite(str(d / "matrix.mtx"), sp.coo_matrix(m.T.astype(np.int64)), field="integer")
    if gz:
        write_text(d / "matrix.mtx", (d / "matrix.mtx").read_text().splitlines(), True)
        (d / "matrix.mtx").unlink()
    if v3:
        write_text(d / "features.tsv", ["\t".join(f) for f in feats], gz)
    else:
        write_text(d / "genes.tsv", ["\t".join(f[:2]) for f in feats], gz)
    write_text(d / "barcodes.tsv", CELLS, gz)
    for var_names in ["gene_symbols", "gene_ids"]:
        if v3 and not gz:
            # scanpy reads version 3 only gzipped; the plain copy holds the same.
            expected[f"{name}:{var_names}"] = expected[f"mtx_v3_gz:{var_names}"]
            continue
        a = sc.read_10x_mtx(d, var_names=var_names)
        expected[f"{name}:{var_names}"] = {
            "genes": list(a.var_names),
            "cells": list(a.obs_names),
            "values": dense_gxc(a.X),
        }


mtx_dir("mtx_v3_gz", True, True)
mtx_dir("mtx_v3_plain", True, False)
mtx_dir("mtx_v2", False, False)

# 10x HDF5 (Cell Ranger 3+ filtered_feature_bc_matrix.h5): CSC of genes x cells.
m = sp.csc_matrix(X10.T.astype(np.int32))
path = HERE / "tenx_v3.h5"
with h5py.File(path, "w") as f:
    g = f.create_group("matrix")
    g.create_dataset("barcodes", data=np.array(CELLS, dtype="S"))
    g.create_dataset("data", data=m.data, compression="gzip")
    g.create_dataset("indices", data=m.indices.astype(np.int64), compression="gzip")
    g.create_dataset("indptr", data=m.indptr.astype(np.int64), compression="gzip")
    g.create_dataset("shape", data=np.array(m.shape, dtype=np.int32))
    ft = g.create_group("features")
    ft.create_dataset("id", data=np.array([x[0] for x in FEATURES], dtype="S"))
    ft.create_dataset("name", data=np.array([x[1] for x in FEATURES], dtype="S"))
    ft.create_dataset("feature_type", data=np.array([x[2] for x in FEATURES], dtype="S"))
    ft.create_dataset("genome", data=np.array(["GRCh38"] * len(FEATURES), dtype="S"))
    ft.create_dataset("_all_tag_keys", data=np.array(["genome"], dtype="S"))
for var_names in ["gene_symbols", "gene_ids"]:
    a = sc.read_10x_h5(path, gex_only=True)
    if var_names == "gene_ids":
        a.var_names = a.var["gene_ids"]
    else:
        a.var_names_make_unique()
    expected[f"tenx_v3.h5:{var_names}"] = {
        "genes": list(a.var_names),
        "cells": list(a.obs_names),
        "values": dense_gxc(a.X),
    }

# loom, as loompy writes it (genes x cells, chunked and gzipped).
path = HERE / "cells.loom"
if path.exists():
    path.unlink()
loompy.create(
    str(path),
    X.T.copy(),
    row_attrs={"Gene": np.array(SYMBOLS[:4] + ["NKG7b", "GNLY", "CD14"]), "Accession": np.array(GENES)},
    col_attrs={"CellID": np.array(CELLS), "ClusterName": np.array(CELL_TYPE)},
)
with loompy.connect(str(path)) as ds:
    expected["cells.loom"] = {
        "genes": list(ds.ra["Gene"]),
        "cells": list(ds.ca["CellID"]),
        "values": [[float(v) for v in row] for row in ds[:, :]],
    }

# The real PBMC file scanpy ships (anndata < 0.7 encoding: compound obs/var,
# raw.X with h5sparse attributes, categories under uns).
src = Path(sc.__file__).parent / "datasets" / "10x_pbmc68k_reduced.h5ad"
shutil.copy(src, HERE / "pbmc68k_reduced.h5ad")
a = ad.read_h5ad(HERE / "pbmc68k_reduced.h5ad")
rows, cols = a.raw.X.nonzero()
raw_picks = [(rows[k], cols[k]) for k in (0, 1000, 50000, 100000, len(rows) - 1)]
picks = [(0, 0), (3, 10), (699, 764), (100, 200), (350, 500)]
expected["pbmc68k_reduced.h5ad"] = {
    "n_cells": a.n_obs,
    "n_genes": a.n_vars,
    "first_genes": list(a.var_names[:5]),
    "first_cells": list(a.obs_names[:5]),
    "X": [[c, g, float(a.X[c, g])] for c, g in picks],
    "raw_genes": list(a.raw.var_names[:5]),
    "raw_n_genes": a.raw.n_vars,
    "raw_X": [[int(c), int(g), float(a.raw.X[c, g])] for c, g in raw_picks],
    "louvain_0": [c for c, v in zip(a.obs_names, a.obs["louvain"]) if v == "0"][:5],
    "louvain_0_count": int((a.obs["louvain"] == "0").sum()),
    "bulk_labels_first": str(a.obs["bulk_labels"].iloc[0]),
}

with open(HERE / "expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
print("wrote", sorted(os.listdir(HERE)))
