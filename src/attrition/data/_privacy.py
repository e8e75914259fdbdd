"""Pseudonymous employee ids for everything that leaves the HR scoring file.

MLflow artefacts and HTML reports never carry raw employee ids: they carry
``pseudonymise(ids, salt)``, a keyed hash (HMAC-SHA256) that HR can reproduce
with the same secret salt to join back to people, and that nobody without the
salt can reverse or recompute from a list of ids.

The salt comes from, in order: ``Config.id_salt``, the environment variable
``ATTRITION_ID_SALT``, or a random key generated once and kept in
``~/.attrition/id_salt`` (override the path with ``ATTRITION_ID_SALT_FILE``).
It is never written to the tracking store.

Examples
--------
>>> pseudonymise(["E001", "E002"], salt="a-secret-of-16-chars").tolist()  # doctest: +SKIP
['p-…', 'p-…']
>>> a = pseudonymise(["E001"], salt="a-secret-of-16-chars")[0]
>>> a == pseudonymise(["E001"], salt="a-secret-of-16-chars")[0], a.startswith("p-"), len(a)
(True, True, 18)
>>> a == pseudonymise(["E001"], salt="another-secret-16-chars")[0]
False
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from attrition.exceptions import ConfigError

__all__ = ["pseudonymise", "resolve_salt"]

_ENV_SALT = "ATTRITION_ID_SALT"
_ENV_SALT_FILE = "ATTRITION_ID_SALT_FILE"


def pseudonymise(ids: Iterable, salt: str | bytes) -> np.ndarray:
    """Keyed hashes ``p-<16 hex>`` of ``ids`` (HMAC-SHA256 with ``salt``)."""
    key = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
    return np.array(
        ["p-" + hmac.new(key, str(i).encode("utf-8"), hashlib.sha256).hexdigest()[:16] for i in ids],
        dtype=object,
    )


def _checked(value: str, source: str) -> bytes:
    if len(value) < 16:
        raise ConfigError(
            f"The id salt from {source} has {len(value)} characters; a secret of at least 16 is "
            "needed, or pseudonyms could be recomputed from a list of ids. Set a longer secret "
            "(or delete an empty salt file to have one generated)."
        )
    return value.encode("utf-8")


def resolve_salt(salt: str | None = None) -> bytes:
    """The secret salt in force: ``salt`` if given, else as the module docs say; generated on first use."""
    if salt:
        return _checked(str(salt), "the configuration (id_salt)")
    env = os.environ.get(_ENV_SALT)
    if env is not None:
        return _checked(env, f"${_ENV_SALT}")
    path = Path(os.environ.get(_ENV_SALT_FILE) or Path.home() / ".attrition" / "id_salt")
    if path.is_file():
        return _checked(path.read_text(encoding="utf-8").strip(), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value.encode("utf-8")
