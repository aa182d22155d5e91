#!/usr/bin/env bash
# The whole test suite, from a fresh machine that has only cargo and python3 (with
# pip): the Rust tests, then the Python package built into a virtual environment
# (.venv, or $GRN_VENV) and its tests, which compare it with the binary built here.
# Exits non-zero on any failure, including a pytest run that collects no test.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cargo test --release
# The binary the Python parity tests run (cargo test has built it already).
cargo build --release --quiet

venv=${GRN_VENV:-$root/.venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    'maturin>=1.5,<2' numpy pandas scipy anndata networkx pytest \
    dask distributed 'snakemake>=8'
(cd python && VIRTUAL_ENV=$venv PATH=$venv/bin:$PATH maturin develop --release --quiet)

status=0
GRN_BIN=$root/target/release/grn "$venv/bin/python" -m pytest python/tests -q -p no:cacheprovider \
    || status=$?
if [ "$status" -eq 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
