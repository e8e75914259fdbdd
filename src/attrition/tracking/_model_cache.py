"""A local cache of the models loaded from MLflow, so that monthly scoring pays MLflow's loading once.

:func:`attrition.tracking.load_model` asks the registry which model version a
URI names (cheap), then loads that version's artefacts through
``mlflow.pyfunc.load_model`` (downloading them, running the models-from-code
entry point, checking requirements: seconds). The artefacts of a version never
change, so the model is saved here in its own format (LightGBM text and JSON,
:meth:`AttritionModel.save`) under a key naming that exact version, and read
back from here the next time.

The key covers the tracking store (an absolute path for SQLite stores) and
the version's identity: for a registered version, its name, number, run,
source and creation time (a store deleted and trained again reuses version
numbers, never all of these); for ``runs:/`` and ``models:/m-…`` URIs, the
URI itself (run and logged-model ids are never reused). An alias
(``@champion``) is resolved through the registry every time, so moving the
alias loads the new version. For a SQLite store the resolution itself is
remembered with the database file's size and modification time: while the
file is unchanged (nothing trained, registered or moved since), the alias
names the same version and the model is read from here without opening the
store at all; any write to the store makes MLflow resolve it again. A URI the
registry did not know (no quiet-quitting model registered beside the
attrition model, say) is remembered the same way, until the store changes.

The cache lives in ``models/`` under ``$ATTRITION_CACHE_DIR`` (default
``$XDG_CACHE_HOME/attrition``, else ``~/.cache/attrition``); set
``ATTRITION_CACHE_DIR=off`` to disable it. Deleting the folder is always
safe. An entry is written atomically (a temporary folder renamed), and an
unreadable entry is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

from attrition.data._cache import cache_root, write_json_atomic
from attrition.exceptions import ModelNotFoundError
from attrition.models._model import AttritionModel

__all__ = ["model_cache_dir", "model_cache_key", "read_cached_model", "write_cached_model",
           "store_stamp", "read_resolved", "write_resolved", "read_missing", "write_missing"]

log = logging.getLogger(__name__)

def model_cache_dir() -> Path | None:
    """The model cache folder (``models/`` in :func:`attrition.data._cache.cache_root`), or ``None`` when off.

    >>> import os
    >>> before = os.environ.get("ATTRITION_CACHE_DIR")
    >>> os.environ["ATTRITION_CACHE_DIR"] = "/tmp/attrition-cache-doctest"
    >>> str(model_cache_dir())
    '/tmp/attrition-cache-doctest/models'
    >>> if before is None:
    ...     del os.environ["ATTRITION_CACHE_DIR"]
    ... else:
    ...     os.environ["ATTRITION_CACHE_DIR"] = before
    """
    root = cache_root()
    return None if root is None else root / "models"


def _store(tracking_uri: str) -> str:
    """The tracking store, with a SQLite path made absolute (the same file from any folder)."""
    if tracking_uri.startswith("sqlite:///"):
        return "sqlite:///" + str(Path(tracking_uri[len("sqlite:///"):]).resolve())
    return tracking_uri


def model_cache_key(tracking_uri: str, identity: str) -> str:
    """The cache key (hex) of a model version: its store and its identity.

    >>> a = model_cache_key("sqlite:////tmp/a.db", "models:/x/1|run-1|m-abc|1700000000000")
    >>> a == model_cache_key("sqlite:////tmp/b.db", "models:/x/1|run-1|m-abc|1700000000000")
    False
    >>> len(a)
    64
    """
    text = json.dumps({"store": _store(tracking_uri), "identity": identity}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_cached_model(key: str) -> tuple[AttritionModel, dict[str, str]] | None:
    """The cached model and its load information, or ``None`` when not cached (or unreadable)."""
    root = model_cache_dir()
    if root is None:
        return None
    entry = root / key
    if not (entry / "info.json").is_file():
        return None
    try:
        info = json.loads((entry / "info.json").read_text(encoding="utf-8"))
        model = AttritionModel.load(entry / "model")
    except (OSError, ValueError, KeyError, ModelNotFoundError) as exc:
        log.info("Ignoring the unreadable cached model %s (%s)", entry, exc)
        return None
    log.info("Model loaded from the local cache %s", entry)
    return model, {str(k): str(v) for k, v in info.items()}


def write_cached_model(key: str, model: AttritionModel, info: dict[str, str]) -> None:
    """Save ``model`` and ``info`` under ``key`` (atomically); a failure only logs."""
    root = model_cache_dir()
    if root is None:
        return
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{key[:12]}-", dir=root))
        try:
            model.save(tmp / "model")
            (tmp / "info.json").write_text(json.dumps(info, sort_keys=True), encoding="utf-8")
            os.replace(tmp, root / key)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (root / key / "info.json").is_file():  # not another process's entry: a real failure
                raise
    except OSError as exc:
        log.info("Could not cache the model in %s (%s)", root, exc)


def store_stamp(tracking_uri: str) -> list[int] | None:
    """Size and modification time (ns) of a SQLite store's file; ``None`` for other stores."""
    if not tracking_uri.startswith("sqlite:///"):
        return None
    try:
        st = Path(tracking_uri[len("sqlite:///"):]).stat()
    except OSError:
        return None
    return [int(st.st_size), int(st.st_mtime_ns)]


def _resolved_path(root: Path, tracking_uri: str, uri: str) -> Path:
    name = hashlib.sha256(json.dumps([_store(tracking_uri), uri]).encode()).hexdigest()
    return root / "resolved" / f"{name}.json"


def _read_entry(tracking_uri: str, uri: str) -> dict:
    """What was remembered of ``uri``, if the SQLite store has not changed since (else ``{}``)."""
    root = model_cache_dir()
    stamp = store_stamp(tracking_uri)
    if root is None or stamp is None:
        return {}
    try:
        entry = json.loads(_resolved_path(root, tracking_uri, uri).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entry if isinstance(entry, dict) and entry.get("stamp") == stamp else {}


def _write_entry(tracking_uri: str, uri: str, stamp: list[int] | None, entry: dict) -> None:
    root = model_cache_dir()
    if root is None or stamp is None:
        return
    path = _resolved_path(root, tracking_uri, uri)
    try:
        write_json_atomic(path, {"stamp": stamp, **entry})
    except OSError as exc:
        log.info("Could not cache the resolution of %s (%s)", uri, exc)


def read_resolved(tracking_uri: str, uri: str) -> str | None:
    """The cache key ``uri`` resolved to, if the SQLite store has not changed since."""
    key = _read_entry(tracking_uri, uri).get("key")
    return str(key) if key else None


def write_resolved(tracking_uri: str, uri: str, stamp: list[int] | None, key: str) -> None:
    """Remember that ``uri`` named the version ``key`` while the store had ``stamp``."""
    _write_entry(tracking_uri, uri, stamp, {"key": key})


def read_missing(tracking_uri: str, uri: str) -> str | None:
    """The registry's message if ``uri`` named no model while the store was as it is now, else ``None``."""
    missing = _read_entry(tracking_uri, uri).get("missing")
    return str(missing) if missing else None


def write_missing(tracking_uri: str, uri: str, stamp: list[int] | None, message: str) -> None:
    """Remember that the registry knew no ``uri`` (with its ``message``) while the store had ``stamp``.

    >>> import os, tempfile
    >>> before = os.environ.get("ATTRITION_CACHE_DIR")
    >>> os.environ["ATTRITION_CACHE_DIR"] = tempfile.mkdtemp()
    >>> db = os.path.join(tempfile.mkdtemp(), "mlflow.db")
    >>> open(db, "w").close()
    >>> write_missing(f"sqlite:///{db}", "models:/x@champion", store_stamp(f"sqlite:///{db}"), "no x")
    >>> read_missing(f"sqlite:///{db}", "models:/x@champion")
    'no x'
    >>> with open(db, "a") as fh:  # the store changes: forgotten
    ...     _ = fh.write("x")
    >>> read_missing(f"sqlite:///{db}", "models:/x@champion") is None
    True
    >>> if before is None:
    ...     del os.environ["ATTRITION_CACHE_DIR"]
    ... else:
    ...     os.environ["ATTRITION_CACHE_DIR"] = before
    """
    _write_entry(tracking_uri, uri, stamp, {"missing": message})
