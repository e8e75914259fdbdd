"""A new SQLite tracking store without running MLflow's migrations every time.

MLflow creates a SQLite store by creating its first tables and then running
every alembic migration since (seconds, on every new store: each
``attrition quickstart``, each test that makes a store). The result depends
only on the versions of MLflow, SQLAlchemy and alembic: the same tables, the
same ``alembic_version`` (the schema head), the ``default`` workspace, and the
``Default`` experiment, whose artefact location and creation time are the
only things particular to a store.

So a migrated store is kept once per versions in the user cache
(``mlflow-store/`` under :func:`attrition.data._cache.cache_root`), *without*
the ``Default`` experiment. A new store is a copy of it, opened once by
MLflow's own :class:`SqlAlchemyStore` before it is put in place: MLflow finds
every table at the schema head (no migration) and creates the ``Default``
experiment itself, with the store's artefact root and the time of creation,
exactly as for a store it creates from nothing.

Anything unexpected (cache off or unwritable, another schema head, a template
that is not what it should be, an error while copying) falls back to
MLflow's own creation; the template is only ever a shortcut.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
import uuid
from importlib.metadata import version as _package_version
from pathlib import Path

from attrition.data._cache import cache_root

__all__ = ["create_sqlite_store", "template_path", "schema_head"]

log = logging.getLogger(__name__)

_PACKAGES = ("mlflow", "sqlalchemy", "alembic")


def schema_head() -> str:
    """The alembic head of MLflow's tracking schema (the revision a migrated store carries)."""
    from mlflow.store.db.utils import _get_latest_schema_revision

    return str(_get_latest_schema_revision())


def template_path(head: str) -> Path | None:
    """Where the migrated, empty store of these versions and schema ``head`` is kept (``None``: cache off).

    >>> import os
    >>> before = os.environ.get("ATTRITION_CACHE_DIR")
    >>> os.environ["ATTRITION_CACHE_DIR"] = "/tmp/attrition-cache-doctest"
    >>> p = template_path("abc123")
    >>> (p.parent.name, p.suffix)
    ('mlflow-store', '.db')
    >>> p == template_path("abc123") != template_path("def456")
    True
    >>> if before is None:
    ...     del os.environ["ATTRITION_CACHE_DIR"]
    ... else:
    ...     os.environ["ATTRITION_CACHE_DIR"] = before
    """
    root = cache_root()
    if root is None:
        return None
    versions = "|".join(f"{p}=={_package_version(p)}" for p in _PACKAGES)
    key = hashlib.sha256(f"{versions}|head={head}".encode()).hexdigest()[:24]
    return root / "mlflow-store" / f"{key}.db"


def _is_template(path: Path, head: str) -> bool:
    """``path`` is a migrated store at ``head`` with no experiment, run or model in it."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            revision = con.execute("SELECT version_num FROM alembic_version").fetchall()
            empty = all(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0  # noqa: S608
                        for table in ("experiments", "runs", "registered_models", "logged_models"))
            check = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return False
    return revision == [(head,)] and empty and check == "ok"


def _open_store(path: Path, artifact_root: str) -> None:
    """Open (creating or completing) the SQLite store at ``path`` with MLflow's own store class."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore(f"sqlite:///{path}", artifact_root)
    store.engine.dispose()


def _make_template(path: Path, head: str) -> bool:
    """Create the template at ``path`` (atomically: built beside it, renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".template-", dir=path.parent))
    try:
        db = tmp / "store.db"
        _open_store(db, (tmp / "mlartifacts").as_uri())
        con = sqlite3.connect(db)
        try:
            with con:
                con.execute("DELETE FROM experiments WHERE experiment_id = 0")
            con.execute("VACUUM")
        finally:
            con.close()
        if not _is_template(db, head):
            return False
        os.replace(db, path)
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _place(path: Path, target: Path) -> None:
    """Move ``path`` to ``target`` unless ``target`` exists by then (never overwrite a store)."""
    try:
        os.link(path, target)
    except FileExistsError:
        log.debug("The store %s appeared meanwhile: kept as it is.", target)
    except OSError:  # no hard links on this file system
        if not target.exists():
            os.replace(path, target)
            return
    path.unlink(missing_ok=True)


def _from_template(db: Path, artifact_root: str) -> bool:
    """Create the store ``db`` from the cached template; ``False`` when the template cannot be used."""
    head = schema_head()
    template = template_path(head)
    if template is None:
        return False
    if not (template.exists() and _is_template(template, head)):
        with contextlib.suppress(FileNotFoundError):
            template.unlink()
        if not _make_template(template, head):
            return False
    db.parent.mkdir(parents=True, exist_ok=True)
    tmp = db.parent / f".{db.name}-{uuid.uuid4().hex}.db"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))  # the mode MLflow's own file gets
    try:
        shutil.copyfile(template, tmp)
        _open_store(tmp, artifact_root)  # MLflow adds the Default experiment, as in a store of its own
        _place(tmp, db)
    finally:
        tmp.unlink(missing_ok=True)
    return True


def create_sqlite_store(db: Path, artifact_root: str) -> None:
    """Create a new SQLite store at ``db`` whose ``Default`` experiment keeps artefacts in ``artifact_root``.

    From the cached template when possible (see the module's docstring), else
    by MLflow itself. Errors are left to MLflow to report when the store is
    used.
    """
    try:
        if _from_template(db, artifact_root):
            return
    except Exception as exc:  # noqa: BLE001 - the template is only a shortcut
        log.debug("No store template (%s): MLflow creates the store.", exc)
    try:
        _open_store(db, artifact_root)
    except Exception as exc:  # noqa: BLE001 - MLflow itself then reports what is wrong with the store
        log.debug("Could not create the SQLite store %s here: %s", db, exc)
