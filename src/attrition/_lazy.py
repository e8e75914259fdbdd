"""Deferred imports of heavy third-party libraries (MLflow, matplotlib).

The jobs layer imports the tracking and reporting layers, which use MLflow
and matplotlib; importing those two costs seconds that monthly scoring from a
cached model, with no report, never needs. A module that uses them binds the
name to a :class:`LazyModule` at the top instead of importing it::

    mlflow = lazy_module("mlflow")
    plt = lazy_module("matplotlib.pyplot")

and the library is imported the first time an attribute is read
(``mlflow.log_metric``, ``plt.close``). Names imported with ``from x import
y`` are imported inside the function that uses them. Only third-party
modules go through here: attrition's own imports stay at the top of each
module, where the layers contract sees them.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType

__all__ = ["LazyModule", "lazy_module"]


class LazyModule(ModuleType):
    """A stand-in for a module that imports it on first attribute access.

    An attribute the module does not define is tried as a submodule
    (``mlflow.pyfunc``, ``mlflow.artifacts``), as ``import a.b`` would have
    made it available.

    Examples
    --------
    >>> json = LazyModule("json")
    >>> json.dumps([1])
    '[1]'
    >>> LazyModule("xml").dom.__name__  # a submodule the package does not import itself
    'xml.dom'
    """

    def _target(self) -> ModuleType:
        return importlib.import_module(self.__name__)

    def __getattr__(self, attr: str):
        if attr.startswith("__"):  # copy/pickle/inspect probing dunders: not a reason to import
            raise AttributeError(attr)
        module = self._target()
        try:
            return getattr(module, attr)
        except AttributeError:
            return importlib.import_module(f"{self.__name__}.{attr}")

    def __repr__(self) -> str:
        state = "imported" if self.__name__ in sys.modules else "not imported yet"
        return f"<lazy module {self.__name__!r} ({state})>"


def lazy_module(name: str) -> ModuleType:
    """The module ``name`` if it is already imported, else a :class:`LazyModule` for it.

    Examples
    --------
    >>> import sys
    >>> lazy_module("sys") is sys
    True
    """
    loaded = sys.modules.get(name)
    return loaded if loaded is not None else LazyModule(name)
