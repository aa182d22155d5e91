"""arboreto's API: ``from grn.algo import grnboost2, genie3``.

A pySCENIC or arboreto script changes one import::

    from grn.algo import grnboost2      # was: from arboreto.algo import grnboost2

    network = grnboost2(expression_data=ex_matrix, tf_names=tf_names)

The functions take what arboreto's take (a pandas DataFrame of cells x genes, a
numpy array or scipy sparse matrix with ``gene_names``) and return what they return:
a DataFrame with columns ``TF``, ``target`` (str) and ``importance`` (float64),
highest importance first. The work runs in-process on all cores (Rust, rayon) with
the GIL released; no dask cluster is started or needed. Given a
``client_or_address`` (a :class:`distributed.Client` or a scheduler address), the
targets are split over the cluster's workers instead (:func:`grn.dask.infer`), with
the same result.

Where results differ from arboreto's, and why
---------------------------------------------
- These are Monte Carlo methods (bootstrap samples, random feature subsets,
  subsampling): two implementations agree in distribution, not edge by edge. Ours
  draws from its own random streams (one per target, seeded by ``seed`` and the
  target's index), so importances differ from arboreto's for the same seed; the
  accuracy against DREAM4 gold standards is the same or better (see the project's
  docs/benchmarks.md).
- ``seed=None`` means seed 0, not a fresh random seed: the same call gives the same
  result, and the same bytes as ``grn infer --seed 0``, for any number of threads.
- Importances are shares of each target's variance reduction, the target scaled to
  unit variance (as GENIE3); GRNBoost2 sums them over the whole boosted ensemble
  rather than averaging per-tree normalised importances, so its scale differs from
  scikit-learn's ``feature_importances_``. Rankings, which is what SCENIC uses, are
  comparable.
- GRNBoost2's early stopping follows arboreto's rule (stop when the mean
  out-of-bag improvement over the last ``early_stop_window_length`` rounds is
  negative). By default a round's improvement is its tree's effect on that round's
  out-of-bag cells (scikit-learn before 1.3, which arboreto ran when GRNBoost2 was
  published). scikit-learn 1.3 and later compare each round's out-of-bag loss with
  the previous round's, on another sample of cells; that noise stops boosting after
  a few dozen rounds, so today's arboreto is faster and less accurate.
  ``oob_improvement='consecutive'`` reproduces it.
- Pairs that score exactly 0 are left out (as arboreto does), and ties are ordered
  by regulator then target name, so the order never depends on the run.
- Genes with zero variance are dropped with a warning (arboreto fits them and
  gives them no importance).
"""

from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _core

__all__ = ["grnboost2", "genie3"]

#: arboreto's early-stopping window for GRNBoost2 (Moerman et al. 2019).
EARLY_STOP_WINDOW_LENGTH = 25


def _dask_client(client_or_address: Any) -> Tuple[Any, bool]:
    """The Dask client to run on (``None``: in-process) and whether it is ours to
    close, from arboreto's ``client_or_address``."""
    if client_or_address is None or client_or_address == "local":
        return None, False
    if isinstance(client_or_address, str):
        from distributed import Client

        return Client(client_or_address), True
    if hasattr(client_or_address, "submit") and hasattr(client_or_address, "scatter"):
        return client_or_address, False
    raise ValueError(
        "client_or_address must be 'local' (in-process), a distributed.Client or a "
        f"scheduler address such as 'tcp://host:8786', got {client_or_address!r}"
    )


def _tf_list(tf_names: Union[str, Sequence[str], None]) -> Optional[list]:
    if tf_names is None or (isinstance(tf_names, str) and tf_names == "all"):
        return None
    if isinstance(tf_names, str):
        raise ValueError(f"tf_names must be 'all' or a list of gene names, got {tf_names!r}")
    return [str(t) for t in tf_names]


def _run(
    method: str,
    expression_data: Any,
    gene_names: Optional[Sequence[str]],
    tf_names: Union[str, Sequence[str], None],
    client_or_address: Any,
    limit: Optional[int],
    seed: Optional[int],
    verbose: bool,
    **kwargs: Any,
) -> pd.DataFrame:
    client, owned = _dask_client(client_or_address)
    if client is not None:
        from . import dask

        try:
            with _core.verbosity(verbose):
                df = dask.infer(
                    expression_data,
                    method,
                    client=client,
                    gene_names=gene_names,
                    tfs=_tf_list(tf_names),
                    seed=0 if seed is None else int(seed),
                    top=limit,
                    **kwargs,
                )
        finally:
            if owned:
                client.close()
        df = df.rename(columns={"regulator": "TF", "score": "importance"})
        return df[["TF", "target", "importance"]]
    with _core.verbosity(verbose):
        expr = _core.expression(expression_data, gene_names)
        _core._warn_reading(expr)
        columns = _core._infer_columns(
            expr,
            method,
            _tf_list(tf_names),
            seed=0 if seed is None else int(seed),
            top=limit,
            **kwargs,
        )
    df = _core._edges_frame(columns, ("TF", "target", "importance"))
    return df[["TF", "target", "importance"]]


def grnboost2(
    expression_data: Any,
    gene_names: Optional[Sequence[str]] = None,
    tf_names: Union[str, Sequence[str]] = "all",
    client_or_address: Any = "local",
    early_stop_window_length: Optional[int] = EARLY_STOP_WINDOW_LENGTH,
    limit: Optional[int] = None,
    seed: Optional[int] = None,
    verbose: bool = False,
    oob_improvement: str = "paired",
) -> pd.DataFrame:
    """GRNBoost2 (Moerman et al. 2019, Bioinformatics 35:2159) with arboreto's API.

    Parameters
    ----------
    expression_data
        Cells x genes: a :class:`pandas.DataFrame` (columns are genes), a numpy
        array or a scipy sparse matrix (with ``gene_names``).
    gene_names
        Gene names of the columns of a numpy array or sparse matrix.
    tf_names
        ``'all'`` or a list of candidate regulators; names that are not genes of
        the matrix are ignored (and reported).
    client_or_address
        ``'local'`` (or ``None``): run in-process on all cores. A
        :class:`distributed.Client` or a scheduler address: split the targets over
        the cluster's workers (:func:`grn.dask.infer`); the result is the same.
    early_stop_window_length
        Stop boosting a target when the mean out-of-bag improvement over this many
        rounds is negative (arboreto's default 25); ``None`` runs all 5000 rounds.
    limit
        Keep only the ``limit`` highest-importance edges.
    seed
        Random seed; ``None`` is seed 0 (reproducible, unlike arboreto).
    verbose
        Log progress to stderr.
    oob_improvement
        What a round's out-of-bag improvement compares (not in arboreto):
        ``'paired'`` (default) the loss on the round's out-of-bag cells before and
        after its tree; ``'consecutive'`` the loss against the previous round's, as
        arboreto with scikit-learn 1.3 and later: far fewer rounds, faster, less
        accurate (see the module notes).

    Returns
    -------
    :class:`pandas.DataFrame` with columns ``TF``, ``target``, ``importance``,
    highest importance first.

    Raises
    ------
    ValueError
        Bad input or parameters (the library's message).
    """
    window = 0 if early_stop_window_length is None else int(early_stop_window_length)
    if early_stop_window_length is not None and window < 1:
        raise ValueError(
            f"early_stop_window_length must be at least 1 (or None), got {early_stop_window_length}"
        )
    return _run(
        "grnboost2",
        expression_data,
        gene_names,
        tf_names,
        client_or_address,
        limit,
        seed,
        verbose,
        early_stop_window=window,
        oob_improvement=oob_improvement,
    )


def genie3(
    expression_data: Any,
    gene_names: Optional[Sequence[str]] = None,
    tf_names: Union[str, Sequence[str]] = "all",
    client_or_address: Any = "local",
    limit: Optional[int] = None,
    seed: Optional[int] = None,
    verbose: bool = False,
) -> pd.DataFrame:
    """GENIE3 (Huynh-Thu et al. 2010, PLoS ONE 5:e12776) with arboreto's API:
    random forests of 1000 trees, ``round(sqrt(p))`` candidate regulators per split.

    Parameters
    ----------
    expression_data, gene_names, tf_names, client_or_address, limit, seed, verbose
        As in :func:`grnboost2`.

    Returns
    -------
    :class:`pandas.DataFrame` with columns ``TF``, ``target``, ``importance``,
    highest importance first.
    """
    return _run(
        "genie3",
        expression_data,
        gene_names,
        tf_names,
        client_or_address,
        limit,
        seed,
        verbose,
    )
