"""Atomic file writes: a temporary file beside the target, renamed on success.

An interrupted or failing write leaves the previous file (or none) and no
temporary litter, so a monthly job never publishes half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from attrition.exceptions import ConfigError

__all__ = ["atomic_write", "atomic_write_all", "write_table", "write_text", "table_writer", "text_writer"]


def atomic_write(path: str | Path, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` and rename the temporary file to ``path`` on success.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> atomic_write(d / "a.txt", lambda tmp: pathlib.Path(tmp).write_text("hi")).read_text()
    'hi'
    >>> def fail(tmp):
    ...     raise OSError("disk full")
    >>> try:
    ...     atomic_write(d / "b.txt", fail)
    ... except OSError:
    ...     pass
    >>> sorted(p.name for p in d.iterdir())
    ['a.txt']
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_all(outputs: Sequence[tuple[str | Path, Callable[[str], None]]]) -> list[Path]:
    """Write several files all or none: every ``write(tmp)`` first, then the renames.

    A failing write leaves none of the targets changed (and no temporary
    files): a job's table and its report are published together or not at all.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> def fail(tmp):
    ...     raise OSError("disk full")
    >>> try:
    ...     atomic_write_all([(d / "a.csv", text_writer("x")), (d / "b.html", fail)])
    ... except OSError:
    ...     pass
    >>> sorted(p.name for p in d.iterdir())
    []
    >>> [p.name for p in atomic_write_all([(d / "a.csv", text_writer("x")), (d / "b.html", text_writer("y"))])]
    ['a.csv', 'b.html']
    """
    staged: list[tuple[str, Path]] = []
    published: list[tuple[Path, str | None]] = []  # target, backup of what it held before
    try:
        for path, write in outputs:
            path = Path(path)
            if any(path.resolve() == done.resolve() for _, done in staged):
                raise ConfigError(f"{path} is named twice among the outputs; give each output its own file.")
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            os.close(fd)
            staged.append((tmp, path))
            write(tmp)
        # Publish: each existing target is first moved aside, so a rename that
        # fails half-way puts every earlier target back as it was.
        for tmp, path in staged:
            backup = None
            if path.exists() and not path.is_dir():
                fd, backup = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".bak", dir=path.parent)
                os.close(fd)
                os.replace(path, backup)
            published.append((path, backup))
            os.replace(tmp, path)
    except BaseException:
        for path, backup in reversed(published):
            if backup is not None:
                os.replace(backup, path)
            elif path.exists() and not path.is_dir():
                path.unlink()
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for _, backup in published:
        if backup is not None:
            Path(backup).unlink(missing_ok=True)
    return [path for _, path in staged]


def table_writer(frame: pd.DataFrame, path: str | Path) -> Callable[[str], None]:
    """A ``write(tmp)`` of ``frame`` as CSV or Parquet, by ``path``'s suffix (for :func:`atomic_write_all`)."""
    path = Path(path)
    if path.suffix not in {".csv", ".parquet"}:
        raise ConfigError(f"Output {path} must end in .csv or .parquet.")

    def write(tmp: str) -> None:
        if path.suffix == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        else:
            frame.to_parquet(tmp, index=False)

    return write


def text_writer(text: str) -> Callable[[str], None]:
    """A ``write(tmp)`` of ``text`` in UTF-8 (for :func:`atomic_write_all`)."""
    return lambda tmp: Path(tmp).write_text(text, encoding="utf-8")


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write CSV or Parquet (by suffix) atomically: a temporary file renamed on success."""
    return atomic_write(path, table_writer(frame, path))


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically to ``path`` (a temporary file renamed on success)."""
    return atomic_write(path, text_writer(text))
