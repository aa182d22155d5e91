"""Type stubs of the native module ``grn._native`` (Rust, PyO3).

These are the low-level calls behind :mod:`grn`; use :func:`grn.infer`,
:func:`grn.perturb`, :func:`grn.screen` and :mod:`grn.algo` instead.
"""

import logging
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

METHODS: List[str]
DEFAULTS: Dict[str, Union[int, float]]
VERSION: str

class Expression:
    """An expression matrix in the library's gene-major float32 store (constant
    genes dropped)."""

    @staticmethod
    def read(
        path: Union[str, os.PathLike[str]],
        genes_in_rows: bool = False,
        delimiter: Optional[str] = None,
        normalize: str = "none",
    ) -> Expression: ...
    @staticmethod
    def from_dense(
        values: npt.NDArray[Union[np.float32, np.float64]],
        genes: Sequence[str],
        samples: Sequence[str],
    ) -> Expression: ...
    @staticmethod
    def from_sparse(
        format: str,
        data: npt.NDArray[Union[np.float32, np.float64]],
        indices: npt.NDArray[Union[np.int32, np.int64]],
        indptr: npt.NDArray[Union[np.int32, np.int64]],
        genes: Sequence[str],
        samples: Sequence[str],
    ) -> Expression: ...
    @property
    def genes(self) -> List[str]: ...
    @property
    def samples(self) -> List[str]: ...
    @property
    def dropped_constant(self) -> List[str]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def times(self) -> Optional[List[float]]: ...
    def values(self) -> npt.NDArray[np.float32]: ...

def infer(
    expr: Expression,
    method: str = "genie3",
    tfs: Optional[Sequence[str]] = None,
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
    times: Optional[Sequence[float]] = None,
    threads: Optional[int] = None,
    logger: Optional[logging.Logger] = None,
) -> Tuple[
    List[str],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.float64],
    npt.NDArray[np.int8],
    List[str],
]:
    """(genes, regulator indices, target indices, scores, signs -1/0/1, TF names not
    found), highest score first. ``early_stop_window=0`` turns GRNBoost2's early
    stopping off."""

def infer_shard(
    expr: Expression,
    shard: str,
    method: str = "genie3",
    tfs: Optional[Sequence[str]] = None,
    seed: int = 0,
    trees: Optional[int] = None,
    top: Optional[int] = None,
    early_stop_window: Optional[int] = None,
    oob_improvement: Optional[str] = None,
    threads: Optional[int] = None,
    logger: Optional[logging.Logger] = None,
) -> Tuple[str, List[str]]:
    """One block ``"I/N"`` of the targets of a tree method: (the shard file's text,
    TF names not found), as ``grn infer --targets-shard`` writes it."""

def merge_shards(
    shards: Sequence[str],
) -> Tuple[
    List[str],
    npt.NDArray[np.uint32],
    npt.NDArray[np.uint32],
    npt.NDArray[np.float64],
    npt.NDArray[np.int8],
    List[str],
]:
    """The shards of one run merged into the single run's columns, as ``infer``
    returns them (``grn merge``)."""

def perturb(
    expr: Expression,
    network: Dict[str, Any],
    changes: Sequence[Tuple[str, str, float]],
    options: Dict[str, Any],
    tfs: Optional[Sequence[str]] = None,
    threads: Optional[int] = None,
    logger: Optional[logging.Logger] = None,
) -> Tuple[
    List[
        Tuple[
            str, float, float, float, Optional[float], Optional[float], Optional[str],
            Optional[float],
        ]
    ],
    List[str],
]: ...
def screen(
    expr: Expression,
    network: Dict[str, Any],
    signature: Sequence[Tuple[str, float]],
    options: Dict[str, Any],
    tfs: Optional[Sequence[str]] = None,
    candidates: Optional[Sequence[str]] = None,
    factor: float = 0.0,
    pairs: bool = False,
    top: Optional[int] = None,
    top_genes: Optional[int] = None,
    threads: Optional[int] = None,
    logger: Optional[logging.Logger] = None,
) -> Tuple[
    List[Tuple[int, str, float, int, int, Optional[float], Optional[str]]],
    List[str],
]: ...
def read_gene_list(path: Union[str, os.PathLike[str]]) -> List[str]: ...
def format_floats(values: npt.NDArray[np.float64]) -> List[str]: ...
