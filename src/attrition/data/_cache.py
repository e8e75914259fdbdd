"""Where attrition keeps its local caches (fingerprints of input files, models loaded from MLflow).

``$ATTRITION_CACHE_DIR`` (default ``$XDG_CACHE_HOME/attrition``, else
``~/.cache/attrition``); ``ATTRITION_CACHE_DIR=off`` disables every cache.
Everything in it can be deleted at any time: it is only ever a shortcut to
something recomputed when missing.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["cache_root", "write_json_atomic"]

_ENV = "ATTRITION_CACHE_DIR"


def cache_root() -> Path | None:
    """The cache folder, or ``None`` when ``ATTRITION_CACHE_DIR=off``.

    >>> import os
    >>> before = os.environ.get("ATTRITION_CACHE_DIR")
    >>> os.environ["ATTRITION_CACHE_DIR"] = "/tmp/attrition-cache-doctest"
    >>> str(cache_root())
    '/tmp/attrition-cache-doctest'
    >>> os.environ["ATTRITION_CACHE_DIR"] = "off"
    >>> cache_root() is None
    True
    >>> if before is None:
    ...     del os.environ["ATTRITION_CACHE_DIR"]
    ... else:
    ...     os.environ["ATTRITION_CACHE_DIR"] = before
    """
    value = os.environ.get(_ENV, "").strip()
    if value.lower() in ("off", "0", "false", "no"):
        return None
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "attrition"


def write_json_atomic(path: Path, value: Any) -> None:
    """Write ``value`` as JSON to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(value, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
