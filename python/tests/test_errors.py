"""Bad input raises the right Python exception with the library's message."""

from __future__ import annotations

import anndata
import numpy as np
import pandas as pd
import pytest

import grn
from grn.algo import grnboost2


def small(x=None):
    x = np.arange(12, dtype=np.float32).reshape(4, 3) ** 1.5 if x is None else x
    return anndata.AnnData(X=x, var=pd.DataFrame(index=["a", "b", "c"]))


def test_non_finite_values():
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="non-finite value NaN"):
        grn.infer(small(x), "pearson")


def test_too_few_samples_and_genes():
    with pytest.raises(ValueError, match="at least 3 are needed"):
        grn.infer(small(np.ones((2, 3), dtype=np.float32) * [[1, 2, 3], [3, 1, 2]]), "pearson")
    x = np.random.default_rng(0).normal(size=(6, 3))
    x[:, 1:] = 1.0
    with pytest.raises(ValueError, match="fewer than 2 genes with varying values"):
        grn.infer(small(x), "pearson")


def test_unknown_method_and_bad_parameters(dream_adata):
    with pytest.raises(ValueError, match='unknown method "nope"; expected one of genie3'):
        grn.infer(dream_adata, "nope")
    with pytest.raises(ValueError, match="`trees` applies to forest methods"):
        grn.infer(dream_adata, "grnboost2", trees=10)
    with pytest.raises(ValueError, match="MI estimator"):
        grn.infer(dream_adata, "clr", mi_estimator="magic")
    with pytest.raises(ValueError, match="consensus cannot be a member"):
        grn.infer(dream_adata, "consensus", members=["clr", "consensus"])
    with pytest.raises(ValueError, match="threads"):
        grn.infer(dream_adata, "pearson", threads=0)
    with pytest.raises(OverflowError):
        grn.infer(dream_adata, "pearson", seed=-1)


def test_regulators(tmp_path, dream_adata):
    with pytest.raises(ValueError, match="none of the 2 regulator names is a gene"):
        grn.infer(dream_adata, "pearson", tfs=["X1", "X2"])
    with pytest.raises(FileNotFoundError, match="no_such_tfs.txt"):
        grn.infer(dream_adata, "pearson", tfs=tmp_path / "no_such_tfs.txt")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ValueError, match="the gene list is empty"):
        grn.infer(dream_adata, "pearson", tfs=tmp_path / "empty.txt")


def test_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.tsv"):
        grn.read_expression(tmp_path / "missing.tsv")
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\n1\t2\n3\tx\n4\t5\n")
    with pytest.raises(ValueError, match=r"bad.tsv:3:2: expected a number"):
        grn.read_expression(bad)
    with pytest.raises(FileNotFoundError):
        grn.utils.load_tf_names(tmp_path / "none.txt")


def test_malformed_inputs():
    with pytest.raises(ValueError, match="appears twice"):
        grn.algo.grnboost2(np.eye(4), gene_names=["a", "a", "b", "c"])
    with pytest.raises(ValueError, match="must be numbers"):
        grnboost2(pd.DataFrame({"a": ["x", "y", "z"], "b": [1.0, 2.0, 3.0]}))
    with pytest.raises(ValueError, match="tf_names must be 'all' or a list"):
        grnboost2(np.eye(4), gene_names=list("abcd"), tf_names="a")
    with pytest.raises(ValueError, match="layer 'nope' is not in the AnnData"):
        grn.infer(small(), "pearson", layer="nope")


def test_perturb_errors(dream_adata):
    net = grn.infer(dream_adata, "pearson", top=300)
    with pytest.raises(ValueError, match=r'gene "NOPE" \(knockout\) is not a gene'):
        grn.perturb(dream_adata, net, knockout="NOPE")
    with pytest.raises(ValueError, match=r"factor must be in \[0, 1\)"):
        grn.perturb(dream_adata, net, knockdown={"G1": 1.5})
    with pytest.raises(ValueError, match="must be above 1"):
        grn.perturb(dream_adata, net, overexpress=["G1=0.5"])
    with pytest.raises(ValueError, match="nothing to perturb"):
        grn.perturb(dream_adata, net)
    with pytest.raises(ValueError, match="baseline sample"):
        grn.perturb(dream_adata, net, knockout="G1", baseline="no-such-cell")
    with pytest.raises(ValueError, match="steady state has no steps"):
        grn.perturb(dream_adata, net, knockout="G1", steps=2)
    with pytest.raises(ValueError, match="score column"):
        grn.perturb(dream_adata, net.assign(score="high"), knockout="G1")
    with pytest.raises(ValueError, match="signature genes is a gene"):
        grn.screen(dream_adata, net, {"NOPE": 1})
    with pytest.raises(ValueError, match="expected a weight or direction"):
        grn.screen(dream_adata, net, {"G1": "sideways"})
