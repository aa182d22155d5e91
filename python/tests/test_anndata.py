"""AnnData in and out: dense and sparse X, layers, raw, uns, networkx, logging."""

from __future__ import annotations

import logging
import threading
import time

import anndata
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import grn


@pytest.fixture(scope="module")
def counts():
    """A small count matrix with many zeros and one planted dependency g1 ~ g0."""
    rng = np.random.default_rng(42)
    x = rng.poisson(0.5, size=(120, 40)).astype(np.float32)
    x[:, 1] += 3 * x[:, 0]
    x[:, 2] = 0
    x[5, 2] = 1  # nearly constant, still varying
    a = anndata.AnnData(
        X=sp.csr_matrix(x),
        obs=pd.DataFrame(index=[f"cell{i}" for i in range(120)]),
        var=pd.DataFrame(index=[f"g{i}" for i in range(40)]),
    )
    a.layers["dense"] = x
    a.layers["csc"] = sp.csc_matrix(x)
    a.layers["int"] = x.astype(np.int64)
    return a


@pytest.mark.parametrize("method", ["grnboost2", "clr", "pearson"])
def test_sparse_dense_and_int_layers_agree(counts, method):
    ref = grn.infer(counts, method, layer="dense")
    for kw in ({}, {"layer": "csc"}, {"layer": "int"}):
        pd.testing.assert_frame_equal(ref, grn.infer(counts, method, **kw), check_exact=True)
    assert list(ref.columns) == ["regulator", "target", "score", "sign"]
    assert ref["score"].dtype == np.float64
    assert set(ref["sign"]) <= {"+", "-", "0"}
    top = ref.iloc[0]
    assert {top.regulator, top.target} == {"g0", "g1"} and top.sign == "+"


def test_use_raw_and_key_added(counts):
    a = counts.copy()
    a.raw = a  # the counts
    a.X = sp.csr_matrix(np.log1p(a.X.toarray()))
    raw = grn.infer(a, "pearson", use_raw=True, key_added="grn")
    pd.testing.assert_frame_equal(raw, grn.infer(counts, "pearson"))
    assert a.uns["grn"] is raw
    logged = grn.infer(a, "pearson")
    assert not logged["score"].equals(raw["score"])


def test_uns_network_survives_h5ad(tmp_path, counts):
    a = counts.copy()
    del a.layers["int"]
    grn.infer(a, "grnboost2", tfs=["g0", "g3", "g5"], key_added="grn")
    a.write_h5ad(tmp_path / "a.h5ad")
    back = anndata.read_h5ad(tmp_path / "a.h5ad").uns["grn"]
    pd.testing.assert_frame_equal(back.reset_index(drop=True), a.uns["grn"], check_dtype=False)
    assert set(back["regulator"]) <= {"g0", "g3", "g5"}


def test_varp_holds_the_scores_by_gene_and_subsets_with_genes(counts):
    a = counts.copy()
    net = grn.infer(a, "pearson", key_added="grn")
    adj = a.varp["grn"]
    assert sp.issparse(adj) and adj.shape == (a.n_vars, a.n_vars)
    names = list(a.var_names)
    for row in net.head(20).itertuples():
        assert adj[names.index(row.regulator), names.index(row.target)] == row.score
    assert adj.nnz == (net["score"] != 0).sum()
    sub = a[:, ["g1", "g0"]]
    assert sub.varp["grn"][1, 0] == adj[0, 1]


def test_varp_leaves_out_raw_only_genes_with_a_warning(counts, caplog):
    a = counts.copy()
    a.raw = a
    a = a[:, [f"g{i}" for i in range(20)]].copy()
    with caplog.at_level(logging.WARNING, logger="grn"):
        net = grn.infer(a, "pearson", use_raw=True, key_added="grn")
    inside = net["regulator"].isin(a.var_names) & net["target"].isin(a.var_names)
    assert a.varp["grn"].nnz == (inside & (net["score"] != 0)).sum() > 0
    assert any(f"{(~inside).sum()} edge(s)" in r.getMessage() for r in caplog.records)


def test_to_networkx(counts):
    df = grn.infer(counts, "grnboost2")
    g = grn.to_networkx(df, top=20)
    assert g.number_of_edges() == 20
    r, t = df.regulator[0], df.target[0]
    assert g[r][t]["score"] == df.score[0] and g[r][t]["sign"] == df.sign[0]
    arb = grn.algo.grnboost2(counts.layers["dense"], gene_names=list(counts.var_names))
    assert grn.to_networkx(arb).number_of_edges() == len(arb)


def test_read_expression_gives_the_cli_matrix(tmp_path):
    from conftest import EXPR

    a = grn.read_expression(EXPR)
    assert a.shape == (100, 100) and a.X.dtype == np.float32
    assert list(a.obs_names[:2]) == ["S1", "S2"] and a.var_names[0] == "G1"
    p = tmp_path / "counts.csv"
    p.write_text("cell,a,b,c\nc1,1,0,3\nc2,4,2,0\nc3,0,5,1\n")
    n = grn.read_expression(p, normalize="log-total")
    assert list(n.obs_names) == ["c1", "c2", "c3"]
    np.testing.assert_allclose(n.X[0, 0], np.log1p(1e4 / 4), rtol=1e-6)


def test_constant_genes_are_dropped_with_a_warning(counts, caplog):
    a = counts.copy()
    x = a.layers["dense"].copy()
    x[:, 7] = 2.0
    a.X = x
    with caplog.at_level(logging.WARNING, logger="grn"):
        df = grn.infer(a, "pearson")
    assert "g7" not in set(df.regulator) | set(df.target)
    assert any("zero variance" in r.message and "g7" in r.message for r in caplog.records)


def test_a_time_column_is_left_out_with_the_readers_warning(tmp_path, caplog):
    # DREAM4's time-series layout: a `Time` column, series separated by a blank line.
    f = tmp_path / "ts.tsv"
    f.write_text('"Time"\t"G1"\t"G2"\n0\t1\t2\n50\t2\t1\n\n0\t3\t5\n50\t4\t2\n')
    with caplog.at_level(logging.WARNING, logger="grn"):
        a = grn.read_expression(f)
    assert list(a.var_names) == ["G1", "G2"] and a.n_obs == 4
    assert any("`Time` read as the samples' time points" in r.getMessage() for r in caplog.records)


def test_progress_is_quiet_by_default_and_logged_when_asked(counts, caplog):
    with caplog.at_level(logging.WARNING, logger="grn"):
        grn.infer(counts, "grnboost2")
    assert not [r for r in caplog.records if r.levelno < logging.WARNING]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="grn"):
        grn.infer(counts, "grnboost2")
    msgs = [r.message for r in caplog.records if r.name == "grn"]
    assert any(m.startswith("targets: 0/") for m in msgs)
    assert any(m == f"targets: {counts.n_vars}/{counts.n_vars}" for m in msgs)


def test_the_gil_is_released_during_inference(dream_adata):
    done = threading.Event()

    def work():
        grn.infer(dream_adata, "genie3", trees=300)
        done.set()

    t = threading.Thread(target=work)
    start = time.perf_counter()
    t.start()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    elapsed = time.perf_counter() - start
    assert elapsed > 0.2, "the work should take long enough to measure"
    # With the GIL held the main thread could not wake up during the native call.
    assert ticks > 50 * elapsed


def test_results_do_not_depend_on_threads(dream_adata):
    one = grn.infer(dream_adata, "grnboost2", threads=1)
    two = grn.infer(dream_adata, "grnboost2", threads=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_perturb_and_screen_on_anndata(counts):
    net = grn.infer(counts, "grnboost2")
    eff = grn.perturb(counts, net, knockout="g0")
    row = eff.set_index("gene").loc["g1"]
    assert row.delta < 0 and row.path == "g0>g1"
    assert eff.set_index("gene").loc["g0"].log2_fold_change == -np.inf
    others = [g for g in counts.var_names if g != "g1"]
    ranking = grn.screen(counts, net, {"g1": "down"}, candidates=others)
    assert ranking["perturbation"].iloc[0] == "g0"
    assert "g1" not in set(ranking["perturbation"])
    assert list(ranking["rank"]) == list(range(1, len(ranking) + 1))
