"""A fingerprint of the input tables, logged with training runs and written with scores."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from attrition.data._tables import Tables

__all__ = ["data_fingerprint"]


def data_fingerprint(tables: Tables) -> str:
    """A SHA-256 over the content of every table (row order does not matter).

    Two exports with the same rows give the same fingerprint; any changed
    value changes it.
    """
    digest = hashlib.sha256()
    for name, frame in tables:
        cols = sorted(frame.columns)
        row_hashes = pd.util.hash_pandas_object(frame.loc[:, cols], index=False).to_numpy()
        digest.update(name.encode())
        digest.update(json.dumps(cols).encode())
        digest.update(np.sort(row_hashes).tobytes())
    return digest.hexdigest()
