"""arboreto's helpers (``from grn.utils import load_tf_names``)."""

from __future__ import annotations

import os
from typing import List, Union

from . import _native

__all__ = ["load_tf_names"]


def load_tf_names(path: Union[str, "os.PathLike[str]"]) -> List[str]:
    """Reads transcription factor names, one per line, as arboreto's
    ``load_tf_names`` (and ``grn infer --tfs``) do: blank lines and ``#`` comments
    are skipped, duplicates kept once.

    Raises
    ------
    FileNotFoundError
        The file does not exist.
    ValueError
        The file names no gene.
    """
    return _native.read_gene_list(os.fspath(path))
