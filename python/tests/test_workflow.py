"""workflow/Snakefile runs with the local executor (`snakemake --cores 2`) and its
networks are the bytes of a single `grn infer` run. snakemake is a test
requirement (scripts/test-all.sh installs it): missing is a failure, not a skip."""

from __future__ import annotations

import subprocess
import sys

import snakemake  # noqa: F401 (fails the module when missing)

from conftest import EXPR, REPO, run_cli


def test_snakemake_shards_merge_into_the_single_run(cli, tmp_path):
    single = tmp_path / "single.tsv"
    run_cli(cli, "infer", "-e", str(EXPR), "-m", "grnboost2", "--seed", "4", "-o", str(single))
    p = subprocess.run(
        [
            sys.executable, "-m", "snakemake",
            "--snakefile", str(REPO / "workflow" / "Snakefile"),
            "--directory", str(tmp_path),
            "--cores", "2",
            "--quiet",
            "--config",
            f"input={EXPR}",
            "method=grnboost2",
            "seed=4",
            "shards=3",
            f"grn={cli}",
            "outdir=out",
        ],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    merged = tmp_path / "out" / "all.tsv"
    assert merged.read_bytes() == single.read_bytes()
    # The shards are temporary: only the network is left.
    assert not list((tmp_path / "out").glob("shards/*/*.tsv"))
