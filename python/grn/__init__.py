"""grn: gene regulatory network inference and perturbation prediction.

The Python face of the ``grn`` Rust library: the same methods and the same results
as the ``grn`` command line, on AnnData and pandas objects.

- :mod:`grn.algo`: arboreto's ``grnboost2`` and ``genie3`` (one import changes in a
  pySCENIC script);
- :func:`infer`: every inference method on an AnnData (dense or sparse);
- :func:`perturb`, :func:`screen`: in-silico knockouts and target screens;
- :func:`to_networkx`, :func:`write_tsv`, :func:`read_expression`.

Progress goes to the ``logging`` logger ``"grn"`` at INFO (quiet unless enabled,
e.g. ``logging.getLogger("grn").setLevel(logging.INFO)`` with a handler);
warnings about the data at WARNING.
"""

from . import algo, utils
from ._core import (
    METHODS,
    expression,
    infer,
    perturb,
    read_expression,
    screen,
    to_networkx,
    write_tsv,
)
from ._native import VERSION as __version__

__all__ = [
    "METHODS",
    "algo",
    "utils",
    "expression",
    "infer",
    "perturb",
    "read_expression",
    "screen",
    "to_networkx",
    "write_tsv",
    "__version__",
]
