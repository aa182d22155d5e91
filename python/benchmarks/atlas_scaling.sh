#!/usr/bin/env bash
# How GRNBoost2's cost per target grows with cells and TFs, on a matrix from
# atlas_matrix.py: for each (cells, TFs) setting, two shards of the same block of
# targets are timed whole process, 20 targets (shard 361/1000) and 200 targets
# (shard 37/100, which starts with the same 20); the difference over 180 targets
# is the cost of a target without the reading and binning both runs pay.
#
#   PYTHON=.venv/bin/python bash atlas_scaling.sh GRN_BIN atlas50k \
#       [--oob-improvement consecutive ...]   (PYTHON: one with h5py)
#
# Prints one line per setting: cells, TFs, seconds for 20 and 200 targets,
# wall seconds per target and peak RSS (GB, 10^9 bytes) of the larger run.
set -euo pipefail
grn=$1
dir=$2
shift 2
extra=("$@")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
n_cells=$("${PYTHON:-python3}" -c '
import sys, h5py
with h5py.File(sys.argv[1]) as f:
    print(f["X"].attrs["shape"][0])' "$dir/counts.h5ad")
n_tfs=$(grep -c . "$dir/tfs.txt")

run() { # cells tfs shard -> "seconds peak_kb"
    /usr/bin/time -f "%e %M" -o "$work/time" "$grn" infer -q -e "$dir/counts.h5ad" \
        --cells "$work/cells_$1" --normalize log-total --tfs "$work/tfs_$2" \
        -m grnboost2 --targets-shard "$3" -o "$work/out.tsv" "${extra[@]}"
    cat "$work/time"
}
echo -e "cells\ttfs\ts_20_targets\ts_200_targets\ts_per_target\tpeak_gb"
for setting in "$n_cells $n_tfs" "$((n_cells / 2)) $n_tfs" "$((n_cells / 4)) $n_tfs" \
    "$n_cells $((n_tfs / 2))" "$n_cells $((n_tfs / 4))"; do
    read -r cells tfs <<<"$setting"
    seq 1 "$cells" | sed 's/^/cell/' >"$work/cells_$cells"
    head -n "$tfs" "$dir/tfs.txt" >"$work/tfs_$tfs"
    read -r small _ < <(run "$cells" "$tfs" 361/1000)
    read -r large peak < <(run "$cells" "$tfs" 37/100)
    python3 -c "print('$cells\t$tfs\t$small\t$large\t%.4f\t%.2f' % (($large - $small) / 180, $peak * 1024 / 1e9))"
done
