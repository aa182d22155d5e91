"""arboreto API parity: what `from grn.algo import grnboost2` takes and returns."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import grn
from grn.algo import genie3, grnboost2

from conftest import auroc


def test_columns_dtypes_and_order(dream_df):
    net = grnboost2(dream_df, seed=7)
    assert list(net.columns) == ["TF", "target", "importance"]
    assert net["importance"].dtype == np.float64
    assert pd.api.types.is_string_dtype(net["TF"]) and pd.api.types.is_string_dtype(net["target"])
    assert all(isinstance(v, str) for v in net["TF"].head(50))
    imp = net["importance"].to_numpy()
    assert (np.diff(imp) <= 0).all(), "sorted by importance, highest first"
    assert (imp > 0).all()
    assert (net["TF"] != net["target"]).all()
    assert set(net["TF"]) <= set(dream_df.columns)
    assert list(net.index) == list(range(len(net)))


def test_tf_names_all_equals_full_list_and_subset_restricts(dream_df):
    genes = list(dream_df.columns)
    all_ = grnboost2(dream_df, tf_names="all", seed=1)
    listed = grnboost2(dream_df, tf_names=genes, seed=1)
    pd.testing.assert_frame_equal(all_, listed, check_exact=True)
    tfs = genes[:10]
    sub = grnboost2(dream_df, tf_names=tfs + ["NOT_A_GENE"], seed=1)
    assert set(sub["TF"]) <= set(tfs)
    assert len(sub) < len(all_)


def test_dense_numpy_and_sparse_inputs_give_identical_results(dream_df):
    genes = list(dream_df.columns)
    ref = grnboost2(dream_df, seed=3)
    x = dream_df.to_numpy()
    for data in (
        x,
        x.astype(np.float32),
        np.asfortranarray(x),
        sp.csr_matrix(x),
        sp.csc_matrix(x),
        sp.coo_matrix(x),
        sp.csr_matrix(x.astype(np.float32)),
    ):
        got = grnboost2(data, gene_names=genes, seed=3)
        pd.testing.assert_frame_equal(ref, got, check_exact=True)


def test_sparse_with_zeros_equals_dense():
    rng = np.random.default_rng(0)
    counts = rng.poisson(0.7, size=(80, 30)).astype(np.float64)
    counts[:, 1] += 2 * counts[:, 0]  # something to find
    genes = [f"g{i}" for i in range(30)]
    dense = grnboost2(counts, gene_names=genes, seed=0)
    assert sp.csr_matrix(counts).nnz < counts.size
    pd.testing.assert_frame_equal(dense, grnboost2(sp.csr_matrix(counts), gene_names=genes, seed=0))
    pd.testing.assert_frame_equal(dense, grnboost2(sp.csc_matrix(counts), gene_names=genes, seed=0))
    top = dense.iloc[0]
    assert {top.TF, top.target} == {"g0", "g1"}


def test_seed_none_is_seed_zero_and_seeds_matter(dream_df):
    a = grnboost2(dream_df)
    pd.testing.assert_frame_equal(a, grnboost2(dream_df, seed=0), check_exact=True)
    b = grnboost2(dream_df, seed=1)
    assert not a["importance"].equals(b["importance"])


def test_limit_and_early_stopping(dream_df):
    full = grnboost2(dream_df, seed=0)
    top = grnboost2(dream_df, seed=0, limit=100)
    pd.testing.assert_frame_equal(top, full.head(100))
    other = grnboost2(dream_df, seed=0, early_stop_window_length=5)
    assert not other["importance"].equals(full["importance"])
    with pytest.raises(ValueError, match="early_stop_window_length"):
        grnboost2(dream_df, early_stop_window_length=0)
    today = grnboost2(dream_df, seed=0, oob_improvement="consecutive")
    assert not today["importance"].equals(full["importance"])
    with pytest.raises(ValueError, match="paired, consecutive"):
        grnboost2(dream_df, oob_improvement="previous")
    with pytest.raises(ValueError, match="genie3 does not boost"):
        grn.infer(dream_df, "genie3", oob_improvement="consecutive")


def test_accuracy_on_dream4(dream_df, gold):
    genes = list(dream_df.columns)
    assert auroc(grnboost2(dream_df), gold, genes) > 0.7
    assert auroc(genie3(dream_df), gold, genes) > 0.7


def test_client_that_is_neither_local_nor_dask_is_refused(dream_df):
    # Dask clients and scheduler addresses run on the cluster (test_dask.py).
    grnboost2(dream_df, client_or_address="local", limit=1)
    with pytest.raises(ValueError, match="distributed.Client"):
        grnboost2(dream_df, client_or_address=3.5)


def test_numpy_without_gene_names_is_an_error(dream_df):
    with pytest.raises(ValueError, match="gene_names"):
        grnboost2(dream_df.to_numpy())
    with pytest.raises(ValueError, match="columns"):
        grnboost2(dream_df.to_numpy(), gene_names=["a", "b"])


ARBORETO_README_SCRIPT = """
import pandas as pd

from arboreto.utils import load_tf_names
from arboreto.algo import grnboost2

if __name__ == '__main__':

    in_file  = '{expr}'
    tf_file  = '{tfs}'
    out_file = '{out}'

    # ex_matrix is a DataFrame with gene names as column names
    ex_matrix = pd.read_csv(in_file, sep='\\t')

    # tf_names is read using a utility function included in Arboreto
    tf_names = load_tf_names(tf_file)

    network = grnboost2(expression_data=ex_matrix,
                        tf_names=tf_names)

    network.to_csv(out_file, sep='\\t', index=False, header=False)
"""


def test_arboreto_readme_script_runs_with_only_the_import_changed(tmp_path, dream_df):
    from conftest import EXPR

    tfs = list(dream_df.columns[::4])
    (tmp_path / "tfs.txt").write_text("\n".join(tfs) + "\n")
    out = tmp_path / "network.tsv"
    script = ARBORETO_README_SCRIPT.format(expr=EXPR, tfs=tmp_path / "tfs.txt", out=out)
    ported = script.replace("from arboreto.", "from grn.")
    assert ported.count("grn.") == 2 and "arboreto." not in ported
    (tmp_path / "script.py").write_text(textwrap.dedent(ported))
    p = subprocess.run([sys.executable, str(tmp_path / "script.py")], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    written = pd.read_csv(out, sep="\t", header=None, names=["TF", "target", "importance"])
    expected = grnboost2(dream_df, tf_names=tfs)
    assert len(written) == len(expected) > 0
    assert set(written["TF"]) <= set(tfs)
    assert (written["TF"] == expected["TF"]).all() and (written["target"] == expected["target"]).all()
    np.testing.assert_allclose(written["importance"], expected["importance"], rtol=1e-12)
