"""Tree methods on a Dask cluster, with the bytes of a single-machine run.

A tree method (GENIE3, GENIE3-ET, GRNBoost2) fits one model per target on that
target's own random stream, keyed by the seed and the target's index in the matrix,
so a run is a set of independent blocks of targets. :func:`infer` scores the blocks
on the cluster's workers (``grn infer --targets-shard I/N`` in-process) and merges
them as ``grn merge`` does: the result is the DataFrame :func:`grn.infer` returns,
row for row and bit for bit.

The input reaches each worker once, never in a pickle per task (arboreto sends
the matrix with its tasks and fails on chunks over 4 GB):

- a path (``str`` or :class:`os.PathLike`): every worker reads the file itself, once
  per worker process (the file must be visible to the workers at that path);
- an in-memory matrix (AnnData, DataFrame, numpy or scipy matrix with
  ``gene_names``): converted here, then scattered to every worker once
  (``client.scatter(..., broadcast=True)``); tasks refer to it by key.

A worker lost mid-run costs only the blocks it was scoring: Dask schedules them
again on another worker, and since a block's scores depend only on its targets, the
result does not change.

Example::

    from distributed import Client, LocalCluster
    import grn.dask

    with LocalCluster(n_workers=1, threads_per_worker=2) as cluster, Client(cluster) as client:
        network = grn.dask.infer("cells.h5ad", "grnboost2", client=client, tfs="tfs.txt")
"""

from __future__ import annotations

import os
import threading
import uuid
from concurrent.futures import CancelledError
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pandas as pd

from . import _core, _native

__all__ = ["infer", "TREE_METHODS"]

#: The methods that can be split by target.
TREE_METHODS: Tuple[str, ...] = ("genie3", "genie3-et", "grnboost2")

#: Blocks per worker thread when ``blocks`` is not given: enough that a slow block
#: or a lost worker delays the run by a fraction of one worker's share.
BLOCKS_PER_THREAD = 4

#: Times a cancelled block is resubmitted before the run fails: a block is
#: cancelled when its worker dies with the last copy of a scattered input, so
#: repeated cancellations mean the cluster keeps losing workers. Three, as Dask's
#: own ``distributed.scheduler.allowed-failures`` for a task whose workers die.
MAX_RESUBMITS = 3

# One input per worker process: the last one used, by key.
_cache_lock = threading.Lock()
_cache: Dict[str, "_native.Expression"] = {}


def _cached(key: str, load: Any) -> "_native.Expression":
    with _cache_lock:
        expr = _cache.get(key)
        if expr is None:
            expr = load()
            _cache.clear()
            _cache[key] = expr
        return expr


def _from_path(source: Tuple[str, bool, Optional[str], str]) -> "_native.Expression":
    path, genes_in_rows, delimiter, normalize = source
    return _native.Expression.read(
        path, genes_in_rows=genes_in_rows, delimiter=delimiter, normalize=normalize
    )


def _from_parts(parts: Tuple[Any, List[str], List[str]]) -> "_native.Expression":
    values, genes, samples = parts  # genes x samples, float32
    return _native.Expression.from_dense(values.T, genes, samples)


def _score_block(
    data: Any, key: str, from_path: bool, shard: str, kwargs: Dict[str, Any]
) -> Tuple[str, List[str], List[str]]:
    """Runs on a worker: one block's shard text, the TF names not found and the
    genes dropped as constant."""
    expr = _cached(key, lambda: _from_path(data) if from_path else _from_parts(data))
    text, missing = _native.infer_shard(expr, shard, **kwargs)
    return text, missing, expr.dropped_constant


def _scatter(client: Any, expr: "_native.Expression") -> Any:
    """Sends the matrix to every worker once, under a fresh key rather than its
    content's hash: scattering the same matrix again while the last run's copy is
    being released can hang the scatter (dask/distributed#8576; seen here when
    ``grnboost2`` ran twice on one DataFrame)."""
    return client.scatter(
        (expr.values(), expr.genes, expr.samples), broadcast=True, hash=False
    )


def _worker_threads(client: Any) -> int:
    info = client.scheduler_info()
    return max(1, sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values()))


def infer(
    expression: Any,
    method: str = "genie3",
    *,
    client: Any,
    gene_names: Optional[Sequence[str]] = None,
    tfs: Any = None,
    seed: int = 0,
    trees: Optional[int] = None,
    top: Optional[int] = None,
    early_stop_window: Optional[int] = None,
    oob_improvement: Optional[str] = None,
    blocks: Optional[int] = None,
    threads_per_task: Optional[int] = 1,
    genes_in_rows: bool = False,
    delimiter: Optional[str] = None,
    normalize: str = "none",
) -> pd.DataFrame:
    """Infers a network with a tree method on a Dask cluster.

    Parameters
    ----------
    expression
        A path that every worker can read (any format ``grn infer --expr`` reads),
        or an in-memory cells x genes matrix as :func:`grn.infer` takes (AnnData,
        DataFrame, or a numpy/scipy matrix with ``gene_names``).
    method
        ``genie3`` (default), ``genie3-et`` or ``grnboost2``. Pairwise methods and
        consensus score every pair at once and cannot be split by target.
    client
        A :class:`distributed.Client`.
    gene_names
        Gene names of the columns of a numpy array or sparse matrix.
    tfs
        Candidate regulators: a list of names or the path of a file (read here).
    seed, trees, top
        As :func:`grn.infer`: the same values give the same result.
    early_stop_window
        GRNBoost2's early-stopping window (arboreto's ``early_stop_window_length``;
        0 turns it off); ``None`` is the paper's.
    oob_improvement
        What GRNBoost2's out-of-bag improvement compares, as :func:`grn.infer`.
    blocks
        Number of blocks of targets (default: 4 per worker thread, at most one per
        gene). The result does not depend on it.
    threads_per_task
        Threads of each block's native call (default 1: Dask's worker threads are
        the parallelism, as in arboreto). ``None`` uses the worker process's shared
        pool of all cores.
    genes_in_rows, delimiter, normalize
        How a file is read, as ``grn infer``'s flags (paths only).

    Returns
    -------
    :class:`pandas.DataFrame` with columns ``regulator``, ``target``, ``score``,
    ``sign``: the rows :func:`grn.infer` returns for the same arguments.

    Raises
    ------
    ValueError
        A method that cannot be split by target, bad parameters, or bad input (the
        library's message, raised from the worker).
    """
    if method not in TREE_METHODS:
        raise ValueError(
            f"{method} cannot be split by target: only the tree methods "
            f"({', '.join(TREE_METHODS)}) score each target on its own; run {method} "
            "on one machine with grn.infer"
        )
    tf_list = _core._names(tfs, "TF")
    kwargs: Dict[str, Any] = dict(
        method=method,
        tfs=tf_list,
        seed=int(seed),
        trees=trees,
        top=top,
        early_stop_window=early_stop_window,
        oob_improvement=oob_improvement,
        threads=threads_per_task,
    )
    if isinstance(expression, (str, os.PathLike)):
        path = os.path.abspath(os.fspath(expression))
        stat = os.stat(path)  # a missing file fails here, not on every worker
        key = f"path:{path}:{stat.st_size}:{stat.st_mtime_ns}:{genes_in_rows}:{delimiter}:{normalize}"
        data: Any = (path, bool(genes_in_rows), delimiter, normalize)
        from_path = True
        n_genes: Optional[int] = None
    else:
        expr = _core.expression(expression, gene_names)
        _core._warn_reading(expr)
        key = f"scatter:{uuid.uuid4().hex}"
        data = _scatter(client, expr)
        from_path = False
        n_genes = len(expr.genes)
    n = blocks if blocks is not None else BLOCKS_PER_THREAD * _worker_threads(client)
    if int(n) < 1:
        raise ValueError(f"blocks must be at least 1, got {blocks}")
    # A block beyond the number of genes would be empty; a file's gene count is
    # only known on the workers, where empty blocks cost one read of the cache.
    n = int(n) if n_genes is None else max(1, min(int(n), n_genes))
    run = uuid.uuid4().hex[:8]

    def submit(i: int, attempt: int) -> Any:
        return client.submit(
            _score_block,
            data,
            key,
            from_path,
            f"{i}/{n}",
            kwargs,
            key=f"grn-block-{i}-of-{n}-{run}-{attempt}",
            pure=False,
        )

    pending = {i: submit(i, 0) for i in range(1, n + 1)}
    done: Dict[int, Any] = {}
    for attempt in range(1, MAX_RESUBMITS + 2):
        # Dask re-runs a block whose worker died, but a block whose scattered input
        # lost its last replica with that worker is cancelled instead: scatter the
        # input again and resubmit such blocks (each block's bytes depend only on
        # its inputs, so a repeat changes nothing). Errors from the library raise.
        lost = []
        for i, future in pending.items():
            try:
                done[i] = future.result()
            except CancelledError:
                lost.append(i)
        if not lost:
            break
        if attempt > MAX_RESUBMITS:
            raise RuntimeError(
                f"{len(lost)} of {n} blocks were cancelled {MAX_RESUBMITS + 1} times "
                "(workers lost with their input); check the cluster's workers"
            )
        if not from_path:
            data = _scatter(client, expr)
        pending = {i: submit(i, attempt) for i in lost}
    results = [done[i] for i in range(1, n + 1)]
    texts = [r[0] for r in results]
    _, missing, dropped = results[0]
    if from_path and dropped:
        _core.logger.warning(
            "dropped %d gene(s) with zero variance, which cannot be scored (%s)",
            len(dropped),
            _core._first_few(dropped),
        )
    if missing and tf_list is not None:
        _core.logger.warning(
            "%d of %d regulator names are not (varying) genes of the matrix and are ignored (%s)",
            len(missing),
            len(tf_list),
            _core._first_few(missing),
        )
    columns = _native.merge_shards(texts)
    return _core._edges_frame(columns, ("regulator", "target", "score"))
