"""A fingerprint of the input tables, logged with training runs and written with scores.

What it covers: for every table present (in contract order), its name, its
column names, and a hash of every row's values, combined so that row order
does not matter. Two exports with the same rows give the same fingerprint,
whether read from CSV or Parquet or built in memory; any changed value, added
or removed row, renamed column or added or removed table changes it.

Hashing every row costs about a quarter of reading the files, so for tables
:func:`attrition.data.load_tables` read from files the result is cached
(:mod:`attrition.data._cache`, under ``fingerprints/``) by what identifies
the files' contents without reading them: each file's resolved path, size,
modification and change times (ns) and inode, the columns the tables were
read with, and the attrition version. Rescoring or training on unchanged
files does not hash again; any write to a file (which moves its times) does.
A loaded frame changed *in place* keeps its file's identity: change a copy
(``tables.copy(workload=...)``), whose rows are then hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from pathlib import Path

import numpy as np
import pandas as pd

from attrition._version import __version__
from attrition.data._cache import cache_root, write_json_atomic
from attrition.data._tables import Tables

__all__ = ["data_fingerprint", "file_identity", "record_file_identity"]

#: ``id(frame)`` → (weak reference to the frame, identity of the file it was read from).
_FILE_IDS: dict[int, tuple[weakref.ref, list]] = {}


def file_identity(path: str | Path) -> list:
    """What identifies a file's content without reading it: path, size, times (ns) and inode.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = os.path.join(tmp, "a.csv")
    ...     _ = open(p, "w").write("employee_id\\nE1\\n")
    ...     ident = file_identity(p)
    >>> ident[1]  # size in bytes
    15
    """
    st = os.stat(path)
    return [str(Path(path).resolve()), int(st.st_size), int(st.st_mtime_ns), int(st.st_ctime_ns),
            int(st.st_ino)]


def record_file_identity(frame: pd.DataFrame, identity: list) -> None:
    """Remember that ``frame`` was read from the file of this :func:`file_identity`."""
    key = id(frame)

    def _forget(_ref: weakref.ref, key: int = key) -> None:
        _FILE_IDS.pop(key, None)

    _FILE_IDS[key] = (weakref.ref(frame, _forget), identity)


def _recorded(frame: pd.DataFrame) -> list | None:
    entry = _FILE_IDS.get(id(frame))
    if entry is not None and entry[0]() is frame:
        return entry[1]
    return None


def _row_fingerprint(tables: Tables) -> str:
    digest = hashlib.sha256()
    for name, frame in tables:
        cols = sorted(frame.columns)
        row_hashes = pd.util.hash_pandas_object(frame.loc[:, cols], index=False).to_numpy()
        digest.update(name.encode())
        digest.update(json.dumps(cols).encode())
        digest.update(np.sort(row_hashes).tobytes())
    return digest.hexdigest()


def _cache_file(tables: Tables) -> Path | None:
    """Where the fingerprint of these file-backed tables is cached; ``None`` if not file-backed."""
    root = cache_root()
    if root is None:
        return None
    parts = []
    for name, frame in tables:
        identity = _recorded(frame)
        if identity is None:
            return None
        parts.append([name, list(map(str, frame.columns)), identity])
    key = hashlib.sha256(json.dumps([__version__, parts]).encode()).hexdigest()
    return root / "fingerprints" / f"{key}.json"


def data_fingerprint(tables: Tables) -> str:
    """A SHA-256 over the content of every table (row order does not matter).

    Two exports with the same rows give the same fingerprint; any changed
    value changes it. For tables read from unchanged files it is read from a
    local cache (see the module docstring).

    Examples
    --------
    >>> emp = pd.DataFrame({"employee_id": ["E1", "E2"], "team_id": ["T1", "T1"]})
    >>> a = data_fingerprint(Tables(emp))
    >>> a == data_fingerprint(Tables(emp.iloc[::-1]))  # same rows, another order
    True
    >>> a == data_fingerprint(Tables(emp.assign(team_id=["T1", "T2"])))
    False
    """
    cached = _cache_file(tables)
    if cached is not None:
        try:
            value = json.loads(cached.read_text(encoding="utf-8"))["fingerprint"]
            if isinstance(value, str) and len(value) == 64:
                return value
        except (OSError, ValueError, KeyError, TypeError):
            pass
    value = _row_fingerprint(tables)
    if cached is not None:
        try:
            write_json_atomic(cached, {"fingerprint": value})
        except OSError:
            pass
    return value
