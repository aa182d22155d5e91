"""Inputs to the native library, and the scanpy-style API (`infer`, `perturb`, `screen`).

Every function here converts Python objects into what the Rust library takes and
calls it through :mod:`grn._native`; no algorithm is implemented in Python. The
native calls release the GIL and run on all cores (rayon), and give the same bytes
as the ``grn`` command line for the same input and seed.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import sys
import tempfile
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _native

logger = logging.getLogger("grn")

PathLike = Union[str, "os.PathLike[str]"]

#: Inference methods, in the order the command line lists them.
METHODS: Tuple[str, ...] = tuple(_native.METHODS)

_SIGN_TEXT = np.array(["-", "0", "+"], dtype=object)


def _progress_logger() -> Optional[logging.Logger]:
    # Only hand the logger to the native code when INFO would be shown, so a quiet
    # run never takes the GIL from worker threads.
    return logger if logger.isEnabledFor(logging.INFO) else None


@contextlib.contextmanager
def verbosity(verbose: bool) -> Iterator[None]:
    """Shows the ``grn`` logger's INFO messages on stderr while active (arboreto's
    ``verbose=True``); does nothing when ``verbose`` is false."""
    if not verbose:
        yield
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("grn: %(message)s"))
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def _first_few(names: Sequence[str], shown: int = 5) -> str:
    s = ", ".join(names[:shown])
    if len(names) > shown:
        s += f" and {len(names) - shown} more"
    return s


def _is_anndata(data: Any) -> bool:
    return hasattr(data, "obs_names") and hasattr(data, "var_names") and hasattr(data, "X")


def _sample_names(index: Any, n: int) -> List[str]:
    # A default 0..n-1 index stands for "no sample names": use the CLI's S1..Sn so
    # baselines name the same samples.
    if index is None or isinstance(index, pd.RangeIndex):
        return [f"S{i + 1}" for i in range(n)]
    return [str(s) for s in index]


def _float_array(values: Any) -> np.ndarray:
    a = np.asarray(values)
    if a.dtype in (np.float32, np.float64):
        return a
    if a.dtype.kind in "iub":
        return a.astype(np.float32)
    try:
        return a.astype(np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f"expression values must be numbers, found dtype {a.dtype}: {e}"
        ) from None


def expression(
    data: Any,
    gene_names: Optional[Sequence[str]] = None,
    *,
    layer: Optional[str] = None,
    use_raw: bool = False,
) -> "_native.Expression":
    """Converts an expression matrix to the library's gene-major ``float32`` store.

    Parameters
    ----------
    data
        Cells (samples) x genes: an :class:`anndata.AnnData`, a
        :class:`pandas.DataFrame` (columns are genes), a 2-d numpy array or a scipy
        sparse matrix (both with ``gene_names``).
    gene_names
        Gene names of the columns of a numpy array or sparse matrix.
    layer
        AnnData only: use ``adata.layers[layer]`` instead of ``adata.X``.
    use_raw
        AnnData only: use ``adata.raw.X`` and ``adata.raw.var_names``.

    Returns
    -------
    The native matrix. Genes with zero variance are dropped (with a warning), as
    ``grn infer`` drops them when reading a file. A sparse matrix is filled into the
    store from its CSR/CSC buffers on the Rust side, never densified in Python.
    """
    samples: Optional[List[str]] = None
    if _is_anndata(data):
        if gene_names is not None:
            raise ValueError("gene_names cannot be given with an AnnData; it has var_names")
        if layer is not None and use_raw:
            raise ValueError("give layer or use_raw, not both")
        if use_raw:
            if data.raw is None:
                raise ValueError("use_raw=True but the AnnData has no .raw")
            x, genes = data.raw.X, list(map(str, data.raw.var_names))
        elif layer is not None:
            if layer not in data.layers:
                raise ValueError(
                    f"layer {layer!r} is not in the AnnData (layers: {list(data.layers)})"
                )
            x, genes = data.layers[layer], list(map(str, data.var_names))
        else:
            x, genes = data.X, list(map(str, data.var_names))
        samples = [str(s) for s in data.obs_names]
    elif isinstance(data, pd.DataFrame):
        if layer is not None or use_raw:
            raise ValueError("layer and use_raw apply to AnnData input")
        genes = [str(c) for c in data.columns]
        if gene_names is not None and list(map(str, gene_names)) != genes:
            raise ValueError("gene_names differ from the DataFrame's columns")
        samples = _sample_names(data.index, data.shape[0])
        x = data.to_numpy()
    else:
        if layer is not None or use_raw:
            raise ValueError("layer and use_raw apply to AnnData input")
        if gene_names is None:
            raise ValueError(
                "gene_names are required with a numpy array or sparse matrix (one per column)"
            )
        genes = [str(g) for g in gene_names]
        x = data
    if x is None:
        raise ValueError("the expression matrix is empty (X is None)")
    if hasattr(x, "to_memory"):  # a backed AnnData's dataset
        x = x.to_memory()
    if getattr(x, "ndim", 2) != 2:
        raise ValueError(f"expected a 2-d cells x genes matrix, got {x.ndim} dimension(s)")
    n_cells, n_genes = x.shape
    if n_genes != len(genes):
        raise ValueError(
            f"the matrix has {n_genes} columns but there are {len(genes)} gene names"
        )
    if samples is None:
        samples = _sample_names(None, n_cells)
    if _is_sparse(x):
        fmt = getattr(x, "format", None)
        if fmt not in ("csr", "csc"):
            x = x.tocsr()
            fmt = "csr"
        data_ = x.data if x.data.dtype in (np.float32, np.float64) else x.data.astype(np.float32)
        indices, indptr = x.indices, x.indptr
        if indices.dtype != indptr.dtype:
            indices, indptr = indices.astype(np.int64), indptr.astype(np.int64)
        return _native.Expression.from_sparse(fmt, data_, indices, indptr, genes, samples)
    return _native.Expression.from_dense(_float_array(x), genes, samples)


def _is_sparse(x: Any) -> bool:
    # A scipy matrix can only exist once scipy.sparse is imported; not importing it
    # here saves dense callers half a second.
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(x)


def _warn_reading(expr: "_native.Expression") -> None:
    _log_warnings(expr.warnings)
    dropped = expr.dropped_constant
    if dropped:
        logger.warning(
            "dropped %d gene(s) with zero variance, which cannot be scored (%s)",
            len(dropped),
            _first_few(dropped),
        )


def _names(tfs: Any, what: str) -> Optional[List[str]]:
    """A list of gene names from a list/Index/array, or from a file (one per line,
    read as ``--tfs FILE`` is); ``None`` stays ``None``."""
    if tfs is None:
        return None
    if isinstance(tfs, (str, os.PathLike)):
        return _native.read_gene_list(os.fspath(tfs))
    names = [str(t) for t in tfs]
    if not names:
        raise ValueError(f"the {what} list is empty")
    return names


def _edges_frame(columns: Any, names: Tuple[str, str, str]) -> pd.DataFrame:
    genes, reg, tgt, score, sign, _ = columns
    g = np.array(genes, dtype=object)
    reg_col, tgt_col, score_col = names
    return pd.DataFrame(
        {
            reg_col: g[reg] if len(reg) else np.array([], dtype=object),
            tgt_col: g[tgt] if len(tgt) else np.array([], dtype=object),
            score_col: score,
            "sign": _SIGN_TEXT[sign.astype(np.int64) + 1] if len(sign) else np.array([], dtype=object),
        }
    )


def _infer_columns(
    expr: "_native.Expression",
    method: str,
    tfs: Optional[List[str]],
    **kwargs: Any,
) -> Any:
    columns = _native.infer(expr, method, tfs, logger=_progress_logger(), **kwargs)
    missing = columns[5]
    if missing and tfs is not None:
        logger.warning(
            "%d of %d regulator names are not (varying) genes of the matrix and are ignored (%s)",
            len(missing),
            len(tfs),
            _first_few(missing),
        )
    return columns


def infer(
    adata: Any,
    method: str = "genie3",
    *,
    tfs: Any = None,
    layer: Optional[str] = None,
    use_raw: bool = False,
    seed: int = 0,
    trees: Optional[int] = None,
    top: Optional[int] = None,
    mi_estimator: Optional[str] = None,
    bins: Optional[int] = None,
    spline_order: Optional[int] = None,
    ksg_k: Optional[int] = None,
    dpi_eps: Optional[float] = None,
    pvalue: Optional[float] = None,
    bootstraps: Optional[int] = None,
    members: Optional[Sequence[str]] = None,
    early_stop_window: Optional[int] = None,
    oob_improvement: Optional[str] = None,
    times: Any = None,
    key_added: Optional[str] = None,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Infers a gene regulatory network, as ``grn infer`` does.

    Parameters
    ----------
    adata
        Cells x genes: an :class:`anndata.AnnData` (dense or sparse ``X``), or a
        :class:`pandas.DataFrame` with genes as columns.
    method
        One of ``genie3`` (default), ``genie3-et``, ``grnboost2``, ``relevance``,
        ``clr``, ``aracne``, ``mrnet``, ``pearson``, ``spearman``, ``partial-corr``,
        ``consensus``. See the project README for the methods and their sources.
    tfs
        Candidate regulators: a list of gene names, or the path of a file with one
        name per line. Names that are not genes of the matrix are reported and
        ignored. ``None``: every gene may regulate.
    layer
        Use ``adata.layers[layer]`` instead of ``adata.X``.
    use_raw
        Use ``adata.raw``.
    seed
        Seed of every random choice; the same seed gives the same result for any
        number of threads (and the same bytes as ``grn infer --seed``).
    trees
        Trees per target for the forest methods (default 1000, GENIE3's).
    top
        Keep only the ``top`` highest-scoring edges.
    mi_estimator, bins, spline_order, ksg_k
        Mutual-information estimator of ``relevance``, ``clr``, ``aracne`` and
        ``mrnet`` (default B-splines with 10 bins of order 3, Daub et al. 2004).
    dpi_eps, pvalue, bootstraps
        ARACNe's DPI tolerance (0), MI-threshold p-value (1e-8) and bootstraps (0),
        as ARACNe-AP.
    members
        Methods combined by ``consensus`` (default ``genie3, clr, aracne``).
    early_stop_window, oob_improvement
        ``grnboost2``'s early stopping: the window of rounds (default 25; 0 turns
        early stopping off) and what a round's out-of-bag improvement compares
        (``paired``, the default, or ``consecutive`` as scikit-learn 1.3+; see
        ``grn infer --help``).
    times
        The samples' time points, for a time course: the name of an ``adata.obs``
        column (:func:`read_expression` puts a file's ``Time`` column in
        ``obs["time"]``) or one number per sample, in sample order; a series ends
        where the time does not increase. Tree methods then fit each gene's rate of
        change from the levels one time point earlier (dynGENIE3, Huynh-Thu &
        Geurts 2018; ``grn infer --time-series``), which orients edges.
        ``None``: samples are independent observations.
    key_added
        When given, the edge table is also stored in ``adata.uns[key_added]``, and
        the scores as a sparse genes x genes matrix in ``adata.varp[key_added]``
        (row: regulator, column: target, in the order of ``adata.var_names``), the
        place AnnData keeps gene-by-gene data, so subsetting genes subsets the
        network with them. With ``use_raw``, edges of genes that are only in
        ``adata.raw`` are in ``uns`` but not in ``varp`` (a warning counts them).
    threads
        Worker threads (default: all cores).

    Returns
    -------
    :class:`pandas.DataFrame` with columns ``regulator``, ``target`` (str),
    ``score`` (float64) and ``sign`` (``+``, ``-`` or ``0``), highest score first,
    ties by names: the rows of ``grn infer``'s TSV.

    Raises
    ------
    ValueError
        Bad input (non-finite values, too few samples or varying genes, no TF
        found) or parameters, with the library's message.
    FileNotFoundError
        ``tfs`` names a file that does not exist.
    """
    expr = expression(adata, layer=layer, use_raw=use_raw)
    _warn_reading(expr)
    columns = _infer_columns(
        expr,
        method,
        _names(tfs, "TF"),
        seed=seed,
        trees=trees,
        top=top,
        mi_estimator=mi_estimator,
        bins=bins,
        spline_order=spline_order,
        ksg_k=ksg_k,
        dpi_eps=dpi_eps,
        pvalue=pvalue,
        bootstraps=bootstraps,
        members=list(members) if members is not None else None,
        early_stop_window=early_stop_window,
        oob_improvement=oob_improvement,
        times=_times(adata, times),
        threads=threads,
    )
    df = _edges_frame(columns, ("regulator", "target", "score"))
    if key_added is not None:
        if not _is_anndata(adata):
            raise ValueError("key_added needs an AnnData to store the network in")
        adata.uns[key_added] = df
        adata.varp[key_added] = _adjacency(df, adata.var_names)
    return df


def _times(adata: Any, times: Any) -> Optional[List[float]]:
    """The samples' time points from an ``obs`` column name or a sequence."""
    if times is None:
        return None
    if isinstance(times, str):
        if not _is_anndata(adata):
            raise ValueError(f"times={times!r} names an obs column, which needs an AnnData")
        if times not in adata.obs:
            raise ValueError(f"times={times!r} is not a column of adata.obs")
        times = adata.obs[times]
    try:
        values = np.asarray(times, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"times must be numbers, one per sample: {e}") from None
    if values.ndim != 1:
        raise ValueError(f"times must be one number per sample, got shape {values.shape}")
    return values.tolist()


def _adjacency(df: pd.DataFrame, var_names: Any) -> Any:
    """The scores of an edge table as a CSR matrix over ``var_names`` (regulator rows)."""
    import scipy.sparse as sp

    index = pd.Index(var_names)
    rows = index.get_indexer(df["regulator"])
    cols = index.get_indexer(df["target"])
    kept = (rows >= 0) & (cols >= 0)
    left_out = int((~kept).sum())
    if left_out:
        logger.warning(
            "%d edge(s) name genes that are not in adata.var_names (only in adata.raw); "
            "they are in adata.uns but not in adata.varp",
            left_out,
        )
    n = len(index)
    adjacency = sp.csr_matrix(
        (df["score"].to_numpy(dtype=np.float64)[kept], (rows[kept], cols[kept])), shape=(n, n)
    )
    adjacency.eliminate_zeros()
    return adjacency


def _network_columns(network: pd.DataFrame) -> Dict[str, Any]:
    """The regulator, target, score (and sign) columns of a network DataFrame: ours
    (``regulator target score sign``), arboreto/pySCENIC's (``TF target
    importance``), or any frame whose first three columns are those."""
    if not isinstance(network, pd.DataFrame):
        raise ValueError(
            "the network must be a pandas DataFrame (regulator, target, score[, sign]), "
            f"got {type(network).__name__}"
        )
    cols = list(network.columns)
    if len(cols) < 3:
        raise ValueError(
            f"the network needs at least 3 columns (regulator, target, score), found {cols}"
        )

    def pick(options: Tuple[str, ...], position: int) -> Any:
        for o in options:
            if o in cols:
                return o
        return cols[position]

    reg = pick(("regulator", "TF", "tf", "source"), 0)
    tgt = pick(("target",), 1)
    score = pick(("score", "importance", "weight"), 2)
    try:
        scores = network[score].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"the network's score column {score!r} is not numeric") from None
    return {
        "regulator": [str(x) for x in network[reg]],
        "target": [str(x) for x in network[tgt]],
        "score": scores.tolist(),
        "sign": [str(x) for x in network["sign"]] if "sign" in cols else None,
    }


def _model_options(
    model: str,
    per_target: Optional[int],
    alpha: Union[str, float],
    weight_prior: str,
    trees: Optional[int],
    seed: int,
    baseline: Union[str, Sequence[str]],
    propagation: str,
    steps: Optional[int],
    max_radius: Optional[float],
) -> Dict[str, Any]:
    d = _native.DEFAULTS
    if isinstance(baseline, str):
        sample, group = baseline, None
    else:
        sample, group = None, [str(s) for s in baseline]
    return {
        "model": model,
        "per_target": d["per_target"] if per_target is None else int(per_target),
        "alpha": alpha if isinstance(alpha, str) else repr(float(alpha)),
        "weight_prior": weight_prior,
        "trees": d["forest_trees"] if trees is None else int(trees),
        "seed": int(seed),
        "baseline": sample,
        "baseline_group": group,
        "propagation": propagation,
        "steps": steps,
        "max_radius": d["max_radius"] if max_radius is None else float(max_radius),
    }


def _gene_factors(arg: Any, what: str) -> List[Tuple[str, float]]:
    """``{gene: factor}``, ``[(gene, factor)]`` or ``["GENE=FACTOR"]``."""
    if arg is None:
        return []
    if isinstance(arg, Mapping):
        items = list(arg.items())
    elif isinstance(arg, str):
        items = [arg]
    else:
        items = list(arg)
    out = []
    for item in items:
        if isinstance(item, str):
            gene, sep, factor = item.rpartition("=")
            if not sep:
                raise ValueError(f"{what} {item!r}: expected GENE=FACTOR, e.g. TP53=0.3")
            item = (gene.strip(), factor.strip())
        gene, factor = item
        try:
            f = float(factor)
        except (TypeError, ValueError):
            raise ValueError(f"{what} {gene}: the factor {factor!r} is not a number") from None
        if not np.isfinite(f):
            raise ValueError(f"{what} {gene}: the factor {factor!r} is not a number")
        out.append((str(gene), f))
    return out


def _log_warnings(warnings: Iterable[str]) -> None:
    for w in warnings:
        logger.warning("%s", w)


_MODEL_DOC = """
    model
        Response model of each target on its regulators: ``linear`` (ridge
        regression, signed weights) or ``forest`` (random forests).
    per_target
        Regulators per target: its best-ranked ``per_target`` edges (default 10,
        SCENIC's top-10 regulators per target).
    alpha
        Ridge penalty of the linear model: ``gcv`` (one penalty for all targets by
        pooled generalised cross-validation), ``gcv-per-target``, or a number.
    weight_prior
        ``score`` (each ridge weight's prior sized by its edge's score) or
        ``uniform`` (plain ridge).
    trees
        Trees per forest of the forest model (default 100).
    seed
        Seed of the forests and cross-validation folds.
    baseline
        Start point: ``mean`` of all samples, one sample (cell) name, or a list of
        sample names whose mean is the start.
    propagation
        ``steady`` (the fixed point of the fitted system, default) or ``steps``
        (CellOracle's n-step signal propagation).
    steps
        Steps of ``propagation='steps'`` (default 3, CellOracle's).
    max_radius
        Largest spectral radius of a linear feedback loop at the steady state
        (default 0.9); stronger loops are damped to it, with a warning.
    tfs, layer, use_raw, threads
        As in :func:`infer`. With ``tfs`` only TF regulators are kept in the model.
"""


def perturb(
    adata: Any,
    network: pd.DataFrame,
    knockout: Union[str, Sequence[str], None] = None,
    knockdown: Any = None,
    overexpress: Any = None,
    *,
    tfs: Any = None,
    layer: Optional[str] = None,
    use_raw: bool = False,
    model: str = "linear",
    per_target: Optional[int] = None,
    alpha: Union[str, float] = "gcv",
    weight_prior: str = "score",
    trees: Optional[int] = None,
    seed: int = 0,
    baseline: Union[str, Sequence[str]] = "mean",
    propagation: str = "steady",
    steps: Optional[int] = None,
    max_radius: Optional[float] = None,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Predicts the effect of knockouts, knockdowns and over-expression on every
    gene, as ``grn perturb`` does.

    Parameters
    ----------
    adata
        The expression data the models are fitted on (as in :func:`infer`).
    network
        A network DataFrame: :func:`infer`'s output, or arboreto/pySCENIC
        adjacencies (``TF target importance``).
    knockout
        Gene(s) set to 0.
    knockdown
        Genes set to a fraction of their baseline in [0, 1): ``{"G1": 0.3}``,
        ``[("G1", 0.3)]`` or ``["G1=0.3"]``.
    overexpress
        Genes set to a multiple (> 1) of their baseline, given as ``knockdown``.
    %(model)s
    Returns
    -------
    :class:`pandas.DataFrame` with columns ``gene``, ``baseline``, ``predicted``,
    ``delta``, ``log2_fold_change`` (``-inf`` for a knockout, NaN when undefined),
    ``r2`` (cross-validated R² of the gene's model, NaN without regulators),
    ``path`` (strongest path from a perturbed gene, ``None`` when unchanged) and
    ``path_r2`` (the smallest cross-validated R² along that path: how well the data
    support the change, NaN for perturbed and unchanged genes), sorted by
    ``|delta|``: the rows of ``grn perturb``'s TSV.

    Raises
    ------
    ValueError
        Unknown genes, factors out of range, bad parameters, or a network that does
        not fit the data.
    """
    changes: List[Tuple[str, str, float]] = []
    if knockout is not None:
        for g in [knockout] if isinstance(knockout, str) else knockout:
            changes.append(("knockout", str(g).strip(), 0.0))
    for g, f in _gene_factors(knockdown, "knockdown"):
        changes.append(("knockdown", g, f))
    for g, f in _gene_factors(overexpress, "overexpress"):
        changes.append(("overexpress", g, f))
    options = _model_options(
        model, per_target, alpha, weight_prior, trees, seed, baseline, propagation, steps,
        max_radius,
    )
    net = _network_columns(network)
    expr = expression(adata, layer=layer, use_raw=use_raw)
    _warn_reading(expr)
    rows, warnings = _native.perturb(
        expr, net, changes, options, tfs=_names(tfs, "TF"), threads=threads,
        logger=_progress_logger(),
    )
    _log_warnings(warnings)
    df = pd.DataFrame.from_records(
        rows,
        columns=[
            "gene", "baseline", "predicted", "delta", "log2_fold_change", "r2", "path", "path_r2",
        ],
    )
    for c in ("baseline", "predicted", "delta", "log2_fold_change", "r2", "path_r2"):
        df[c] = df[c].astype(np.float64)
    return df


perturb.__doc__ = (perturb.__doc__ or "").replace("    %(model)s\n", _MODEL_DOC.lstrip("\n"))


def _signature(signature: Any) -> List[Tuple[str, float]]:
    if isinstance(signature, (str, os.PathLike)):
        text = _read_text(os.fspath(signature))
        items: List[Tuple[str, Any]] = []
        first = True
        for line in text.splitlines():
            t = line.strip()
            if not t or t.startswith("#"):
                continue
            fields = [f.strip().strip('"') for f in t.replace(",", "\t").split("\t")]
            was_first, first = first, False
            if len(fields) < 2:
                raise ValueError(f"{os.fspath(signature)}: expected gene and weight, found {t!r}")
            if was_first and _weight(fields[1]) is None:
                continue  # header
            items.append((fields[0], fields[1]))
    elif isinstance(signature, pd.Series):
        items = list(signature.items())
    elif isinstance(signature, Mapping):
        items = list(signature.items())
    else:
        items = list(signature)
    out = []
    for gene, w in items:
        weight = _weight(w)
        if weight is None:
            raise ValueError(
                f"signature gene {gene}: expected a weight or direction (up, down, +, -, or "
                f"a finite number), found {w!r}"
            )
        out.append((str(gene), weight))
    if not out:
        raise ValueError("the signature is empty; give gene: weight pairs")
    return out


def _weight(w: Any) -> Optional[float]:
    if isinstance(w, str):
        low = w.strip().lower()
        if low in ("up", "+"):
            return 1.0
        if low in ("down", "-"):
            return -1.0
    try:
        f = float(w)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8")


def screen(
    adata: Any,
    network: pd.DataFrame,
    signature: Any,
    *,
    candidates: Any = None,
    factor: float = 0.0,
    pairs: bool = False,
    top: Optional[int] = None,
    top_genes: Optional[int] = None,
    tfs: Any = None,
    layer: Optional[str] = None,
    use_raw: bool = False,
    model: str = "linear",
    per_target: Optional[int] = None,
    alpha: Union[str, float] = "gcv",
    weight_prior: str = "score",
    trees: Optional[int] = None,
    seed: int = 0,
    baseline: Union[str, Sequence[str]] = "mean",
    propagation: str = "steady",
    steps: Optional[int] = None,
    max_radius: Optional[float] = None,
    threads: Optional[int] = None,
) -> pd.DataFrame:
    """Ranks candidate perturbations by how well they move a gene signature, as
    ``grn screen`` does.

    Parameters
    ----------
    adata
        The expression data the models are fitted on (as in :func:`infer`).
    network
        A network DataFrame, as in :func:`perturb`.
    signature
        The genes to move and which way: ``{gene: weight}`` (a
        :class:`pandas.Series` too), the weight a number or ``up``/``down``/``+``/
        ``-``; or the path of a ``gene<TAB>weight`` file.
    candidates
        Genes to perturb (a list or a file of names). Default: the ``tfs``, or
        every gene with a target in the model.
    factor
        Level of each perturbed gene as a multiple of its baseline: 0 knocks out,
        0.5 knocks down, 2 over-expresses.
    pairs
        Also screen every pair of the ``top`` best single candidates.
    top
        Single candidates combined by ``pairs`` (default 20).
    top_genes
        Most-changed genes listed per candidate (default 5).
    %(model)s
    Returns
    -------
    :class:`pandas.DataFrame` with columns ``rank``, ``perturbation``, ``score``,
    ``moved_wanted``, ``moved_against``, ``synergy`` (NaN for singles) and
    ``top_genes`` (``gene:change`` in standard deviations): the rows of
    ``grn screen``'s TSV.
    """
    options = _model_options(
        model, per_target, alpha, weight_prior, trees, seed, baseline, propagation, steps,
        max_radius,
    )
    net = _network_columns(network)
    sig = _signature(signature)
    cands = _names(candidates, "candidate")
    expr = expression(adata, layer=layer, use_raw=use_raw)
    _warn_reading(expr)
    rows, warnings = _native.screen(
        expr, net, sig, options, tfs=_names(tfs, "TF"), candidates=cands,
        factor=float(factor), pairs=bool(pairs), top=top, top_genes=top_genes,
        threads=threads, logger=_progress_logger(),
    )
    _log_warnings(warnings)
    df = pd.DataFrame.from_records(
        rows,
        columns=["rank", "perturbation", "score", "moved_wanted", "moved_against", "synergy",
                 "top_genes"],
    )
    df["score"] = df["score"].astype(np.float64)
    df["synergy"] = df["synergy"].astype(np.float64)
    return df


screen.__doc__ = (screen.__doc__ or "").replace("    %(model)s\n", _MODEL_DOC.lstrip("\n"))


def to_networkx(network: pd.DataFrame, top: Optional[int] = None) -> Any:
    """A :class:`networkx.DiGraph` of a network DataFrame.

    Parameters
    ----------
    network
        :func:`infer`'s output or arboreto adjacencies (``TF target importance``).
    top
        Keep only the first ``top`` rows (the highest scores).

    Returns
    -------
    A directed graph with an edge regulator -> target per row, carrying the
    ``score`` (and ``sign`` when the frame has one) as edge attributes.
    """
    import networkx as nx

    cols = _network_columns(network if top is None else network.head(top))
    g = nx.DiGraph()
    signs = cols["sign"]
    for i, (r, t, s) in enumerate(zip(cols["regulator"], cols["target"], cols["score"])):
        if signs is None:
            g.add_edge(r, t, score=s)
        else:
            g.add_edge(r, t, score=s, sign=signs[i])
    return g


_QUOTED_COLUMNS = ("regulator", "target", "TF")


def _quote_name(name: str) -> str:
    # As the library quotes names in edge lists, so they read back unchanged.
    if name.startswith(('"', "#")) or name.endswith('"') or name.strip() != name:
        return '"' + name.replace('"', '""') + '"'
    return name


def _format_column(name: str, col: pd.Series) -> List[str]:
    if col.dtype.kind == "f":
        return _native.format_floats(col.to_numpy(dtype=np.float64))
    if col.dtype.kind in "iub":
        return [str(v) for v in col.tolist()]
    out = ["NA" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in col]
    if name in _QUOTED_COLUMNS:
        out = [_quote_name(v) for v in out]
    return out


def write_tsv(frame: pd.DataFrame, path: PathLike) -> None:
    """Writes a result DataFrame as the ``grn`` command line writes its TSV files.

    Floats are written as the shortest decimal that reads back to the same number
    (as Rust prints them), missing values as ``NA``, gene names of edge lists quoted
    as the library quotes them. The file is written atomically (a temporary file
    renamed into place) and gzipped when the name ends in ``.gz``.

    Parameters
    ----------
    frame
        A DataFrame from :func:`infer`, :func:`perturb`, :func:`screen` or
        :func:`grn.algo.grnboost2`.
    path
        The output file.
    """
    path = os.fspath(path)
    columns = [_format_column(str(c), frame[c]) for c in frame.columns]
    lines = ["\t".join(map(str, frame.columns))]
    lines.extend("\t".join(row) for row in zip(*columns))
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if path.lower().endswith(".gz"):
        data = gzip.compress(data)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".grn-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def read_expression(
    path: PathLike,
    *,
    genes_in_rows: bool = False,
    delimiter: Optional[str] = None,
    normalize: str = "none",
) -> Any:
    """Reads an expression file exactly as ``grn infer --expr`` does, into an
    :class:`anndata.AnnData` (cells x genes, ``float32``). A time-series file's
    ``Time`` column becomes ``obs["time"]`` (for :func:`infer`'s ``times``).

    Parameters
    ----------
    path
        TSV or CSV, plain or gzipped (see the project README for the layouts).
    genes_in_rows
        The file is genes x samples.
    delimiter
        One character, ``tab`` or ``comma`` (default: from the extension).
    normalize
        ``none``, ``total``, ``log1p`` or ``log-total``.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The content is malformed; the message names file, line and column.
    """
    import anndata

    expr = _native.Expression.read(
        os.fspath(path), genes_in_rows=genes_in_rows, delimiter=delimiter, normalize=normalize
    )
    _warn_reading(expr)
    obs = pd.DataFrame(index=pd.Index(expr.samples, dtype=object))
    if expr.times is not None:
        obs["time"] = expr.times
    return anndata.AnnData(
        X=np.ascontiguousarray(expr.values().T),
        obs=obs,
        var=pd.DataFrame(index=pd.Index(expr.genes, dtype=object)),
    )
