#!/usr/bin/env bash
# The knockout validation suite of docs/perturb.md (issue 15): every source, every
# network (GENIE3 without and with the true regulators as TF list, the true
# network), the default against the baselines and ablations, and the default's
# metrics by confidence tercile. Markdown tables on stdout.
#
# usage: scripts/knockout_suite.sh [DREAM4_KNOCKOUT_DIR] [SOURCES...]
# DREAM4_KNOCKOUT_DIR defaults to ../shared/data/dream4_knockouts. Inferred networks
# are cached in $KO_CACHE (default target/knockout_suite_cache) between runs.
# `sergio` is the source held out of all method choices; report it separately.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/data/dream4_knockouts}
shift || true
sources=("$@")
if [ ${#sources[@]} -eq 0 ]; then
    sources=(dream4 dream4-dual sim-scale-free sim-erdos-renyi sim-modular sergio)
fi
export KO_CACHE=${KO_CACHE:-target/knockout_suite_cache}
cargo build --release --quiet --example knockout_suite
for s in "${sources[@]}"; do
    ./target/release/examples/knockout_suite "$s" "$dir"
    echo
done
