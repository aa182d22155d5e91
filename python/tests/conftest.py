"""Shared fixtures: the bundled DREAM4 data and the grn command line binary."""

from __future__ import annotations

import os
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
DATA = REPO / "data"
EXPR = DATA / "insilico_size100_1_multifactorial.tsv"
GOLD = DATA / "insilico_size100_1_goldstandard.tsv"


@pytest.fixture(scope="session")
def cli() -> pathlib.Path:
    """The ``grn`` binary built from this checkout: ``$GRN_BIN``, else
    ``target/release/grn`` (``cargo build --release`` makes it). Missing is a
    failure, not a skip: the parity tests are the point."""
    path = pathlib.Path(os.environ.get("GRN_BIN", REPO / "target" / "release" / "grn"))
    if not path.exists():
        pytest.fail(f"no grn binary at {path}; run `cargo build --release` or set GRN_BIN")
    return path


def run_cli(cli: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    p = subprocess.run([str(cli), "--quiet", *args], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


@pytest.fixture(scope="session")
def dream_df() -> pd.DataFrame:
    """DREAM4 size-100 network 1: 100 samples x 100 genes, read as arboreto users do."""
    return pd.read_csv(EXPR, sep="\t")


@pytest.fixture(scope="session")
def dream_adata(dream_df):
    import anndata

    return anndata.AnnData(
        X=dream_df.to_numpy(dtype=np.float32),
        obs=pd.DataFrame(index=[f"S{i + 1}" for i in range(dream_df.shape[0])]),
        var=pd.DataFrame(index=list(dream_df.columns)),
    )


@pytest.fixture(scope="session")
def gold() -> set:
    g = pd.read_csv(GOLD, sep="\t", header=None, names=["r", "t", "v"])
    return set(zip(g.r[g.v == 1], g.t[g.v == 1]))


def auroc(edges: pd.DataFrame, truth: set, genes: list, reg: str = "TF") -> float:
    """AUROC of a ranked edge list over every ordered pair of ``genes`` (unlisted
    pairs rank last, tied), the DREAM convention."""
    n = len(genes)
    scores = {(r, t): s for r, t, s in zip(edges[reg], edges["target"], edges.iloc[:, 2])}
    pairs = [(a, b) for a in genes for b in genes if a != b]
    y = np.array([p in truth for p in pairs])
    s = np.array([scores.get(p, -np.inf) for p in pairs])
    ranks = pd.Series(s).rank(method="average").to_numpy()
    pos = y.sum()
    neg = len(y) - pos
    assert n > 1 and pos > 0
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))
