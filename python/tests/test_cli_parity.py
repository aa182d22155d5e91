"""Byte parity with the command line: the same input and seed give the same TSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import grn
from grn.algo import grnboost2

from conftest import EXPR, run_cli

# (method, extra CLI flags, the same as Python keyword arguments); forests run with
# fewer trees to keep the suite fast.
CASES = [
    ("grnboost2", [], {}),
    (
        "grnboost2",
        ["--oob-improvement", "consecutive", "--early-stop-window", "10"],
        {"oob_improvement": "consecutive", "early_stop_window": 10},
    ),
    ("genie3", ["--trees", "100"], {"trees": 100}),
    ("genie3-et", ["--trees", "100", "--seed", "5"], {"trees": 100, "seed": 5}),
    ("relevance", [], {}),
    ("clr", [], {}),
    ("clr", ["--mi-estimator", "gaussian"], {"mi_estimator": "gaussian"}),
    ("aracne", ["--bootstraps", "3", "--seed", "2"], {"bootstraps": 3, "seed": 2}),
    ("mrnet", [], {}),
    ("pearson", [], {}),
    ("spearman", ["--top", "500"], {"top": 500}),
    ("partial-corr", [], {}),
    (
        "consensus",
        ["--members", "genie3,clr,pearson", "--trees", "50"],
        {"members": ["genie3", "clr", "pearson"], "trees": 50},
    ),
]


@pytest.mark.parametrize("method,flags,kwargs", CASES, ids=[f"{c[0]}{c[1]}" for c in CASES])
def test_infer_matches_cli_bytes(cli, tmp_path, dream_adata, method, flags, kwargs):
    out_cli = tmp_path / "cli.tsv"
    run_cli(cli, "infer", "-e", str(EXPR), "-m", method, *flags, "-o", str(out_cli))
    df = grn.infer(dream_adata, method, **kwargs)
    out_py = tmp_path / "py.tsv"
    grn.write_tsv(df, out_py)
    assert out_py.read_bytes() == out_cli.read_bytes()
    # The frame itself holds the CLI's numbers exactly.
    back = pd.read_csv(out_cli, sep="\t", float_precision="round_trip", keep_default_na=False)
    assert back["score"].to_numpy().tobytes() == df["score"].to_numpy().tobytes()


def test_tfs_file_and_sparse_input_match_cli(cli, tmp_path, dream_adata):
    tfs = tmp_path / "tfs.txt"
    tfs.write_text("\n".join([f"G{i}" for i in range(1, 101, 3)] + ["NOT_A_GENE"]) + "\n")
    out_cli = tmp_path / "cli.tsv"
    run_cli(cli, "infer", "-e", str(EXPR), "-m", "grnboost2", "--tfs", str(tfs), "-o", str(out_cli))
    for x in (sp.csr_matrix(dream_adata.X), sp.csc_matrix(dream_adata.X)):
        a = dream_adata.copy()
        a.X = x
        df = grn.infer(a, "grnboost2", tfs=tfs)
        grn.write_tsv(df, tmp_path / "py.tsv")
        assert (tmp_path / "py.tsv").read_bytes() == out_cli.read_bytes()


def test_arboreto_api_matches_cli(cli, tmp_path, dream_df):
    out_cli = tmp_path / "cli.tsv"
    run_cli(cli, "infer", "-e", str(EXPR), "-m", "grnboost2", "--seed", "11", "-o", str(out_cli))
    net = grnboost2(dream_df, seed=11)
    grn.write_tsv(net.rename(columns={"TF": "regulator", "importance": "score"}), tmp_path / "py.tsv")
    cli_rows = [l.split("\t")[:3] for l in out_cli.read_text().splitlines()]
    py_rows = [l.split("\t") for l in (tmp_path / "py.tsv").read_text().splitlines()]
    assert py_rows == cli_rows


@pytest.fixture(scope="module")
def network(cli, tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "net.tsv"
    run_cli(cli, "infer", "-e", str(EXPR), "-m", "grnboost2", "-o", str(path))
    return path


PERTURB_CASES = [
    (["--knockout", "G3"], {"knockout": ["G3"]}),
    (
        ["--knockdown", "G10=0.3", "--overexpress", "G20=2", "--propagation", "steps"],
        {"knockdown": {"G10": 0.3}, "overexpress": ["G20=2"], "propagation": "steps"},
    ),
    (
        ["--knockout", "G5,G7", "--alpha", "0.5", "--weight-prior", "uniform", "--per-target", "4"],
        {"knockout": ["G5", "G7"], "alpha": 0.5, "weight_prior": "uniform", "per_target": 4},
    ),
    (
        ["--knockout", "G1", "--model", "forest", "--trees", "20", "--seed", "3", "--baseline", "S7"],
        {"knockout": "G1", "model": "forest", "trees": 20, "seed": 3, "baseline": "S7"},
    ),
]


@pytest.mark.parametrize("flags,kwargs", PERTURB_CASES, ids=[" ".join(c[0]) for c in PERTURB_CASES])
def test_perturb_matches_cli_bytes(cli, tmp_path, dream_adata, network, flags, kwargs):
    out_cli = tmp_path / "cli.tsv"
    run_cli(cli, "perturb", "-e", str(EXPR), "-n", str(network), *flags, "-o", str(out_cli))
    net = pd.read_csv(network, sep="\t", keep_default_na=False, float_precision="round_trip")
    df = grn.perturb(dream_adata, net, **kwargs)
    assert list(df.columns) == out_cli.read_text().splitlines()[0].split("\t")
    grn.write_tsv(df, tmp_path / "py.tsv")
    assert (tmp_path / "py.tsv").read_bytes() == out_cli.read_bytes()


def test_perturb_on_inferred_frame_matches_cli(cli, tmp_path, dream_adata, network):
    # The DataFrame from grn.infer stands in for the file the CLI wrote.
    out_cli = tmp_path / "cli.tsv"
    run_cli(cli, "perturb", "-e", str(EXPR), "-n", str(network), "--knockout", "G3", "-o", str(out_cli))
    df = grn.perturb(dream_adata, grn.infer(dream_adata, "grnboost2"), knockout="G3")
    grn.write_tsv(df, tmp_path / "py.tsv")
    assert (tmp_path / "py.tsv").read_bytes() == out_cli.read_bytes()


def test_screen_matches_cli_bytes(cli, tmp_path, dream_adata, network):
    sig = tmp_path / "sig.tsv"
    sig.write_text("gene\tweight\nG10\t1\nG20\tdown\nG33\t0.5\n")
    cands = tmp_path / "cands.txt"
    cands.write_text("\n".join(f"G{i}" for i in range(1, 40)) + "\n")
    out_cli = tmp_path / "cli.tsv"
    run_cli(
        cli, "screen", "-e", str(EXPR), "-n", str(network), "--signature", str(sig),
        "--candidates", str(cands), "--pairs", "--top", "5", "-o", str(out_cli),
    )
    net = pd.read_csv(network, sep="\t", keep_default_na=False, float_precision="round_trip")
    for signature in (sig, {"G10": 1, "G20": "down", "G33": 0.5}):
        df = grn.screen(
            dream_adata, net, signature, candidates=[f"G{i}" for i in range(1, 40)],
            pairs=True, top=5,
        )
        grn.write_tsv(df, tmp_path / "py.tsv")
        assert (tmp_path / "py.tsv").read_bytes() == out_cli.read_bytes()
    singles = ~df["perturbation"].str.contains("+", regex=False)
    assert singles.any() and (~singles).any()
    assert df.loc[singles, "synergy"].isna().all() and df.loc[~singles, "synergy"].notna().all()


def test_time_series_match_cli_bytes(cli, tmp_path):
    # The DREAM4 time series bundled with the repository: `Time` column, 10 series.
    ts = EXPR.parent / "dream4_timeseries" / "insilico_size100_1_timeseries.tsv"
    out_cli = tmp_path / "cli.tsv"
    run_cli(cli, "infer", "-e", str(ts), "--time-series", "--trees", "100", "-o", str(out_cli))
    adata = grn.read_expression(ts)
    assert adata.obs["time"].iloc[:3].tolist() == [0.0, 50.0, 100.0]
    for times in ("time", adata.obs["time"].to_numpy()):
        df = grn.infer(adata, "genie3", trees=100, times=times)
        out_py = tmp_path / "py.tsv"
        grn.write_tsv(df, out_py)
        assert out_py.read_bytes() == out_cli.read_bytes()
    # Without the time course the same matrix gives another network.
    assert not grn.infer(adata, "genie3", trees=100).equals(df)
    with pytest.raises(ValueError, match="not a column of adata.obs"):
        grn.infer(adata, "genie3", times="day")
    with pytest.raises(ValueError, match="cannot model a time series"):
        grn.infer(adata, "clr", times="time")
    with pytest.raises(ValueError, match="3 time points for 210 samples"):
        grn.infer(adata, "genie3", times=[0, 1, 2])
