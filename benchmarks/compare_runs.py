"""Do two MLflow stores hold the same trained models? Compare the ``@champion`` runs of each name.

    python benchmarks/compare_runs.py STORE_A.db STORE_B.db c27 c27-quiet-quitting

For each registered name: the run's metrics, parameters and tags (MLflow's own ``mlflow.*`` tags
left out, but the description), the SHA-256 of every run artefact and of every file of the
registered model's folder (``booster.txt``, ``model.json``, input examples, ``MLmodel``). Prints
one line per group: identical, or the keys that differ. Expected differences between any two runs
of the same code on the same data: shap's beeswarm PNGs and the run-specific lines of ``MLmodel``
(run and model ids, paths, creation time), which are printed when ``MLmodel`` differs.
"""

from __future__ import annotations

import difflib
import hashlib
import sys
import tempfile
from pathlib import Path

import mlflow
from mlflow import MlflowClient


def _hashes(folder: str) -> dict[str, str]:
    root = Path(folder)
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def store(db: str, names: list[str]) -> dict[tuple[str, str], dict]:
    uri = f"sqlite:///{Path(db).resolve()}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(tracking_uri=uri)
    out: dict[tuple[str, str], dict] = {}
    for name in names:
        version = client.get_model_version_by_alias(name, "champion")
        run = client.get_run(version.run_id)
        out[name, "metrics"] = dict(run.data.metrics)
        out[name, "params"] = dict(run.data.params)
        out[name, "tags"] = {k: v for k, v in run.data.tags.items()
                             if not k.startswith("mlflow.") or k == "mlflow.note.content"}
        out[name, "run artefacts"] = _hashes(mlflow.artifacts.download_artifacts(
            run_id=version.run_id, dst_path=tempfile.mkdtemp()))
        folder = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}@champion",
                                                     dst_path=tempfile.mkdtemp())
        out[name, "model folder"] = _hashes(folder)
        out[name, "MLmodel"] = {"text": (Path(folder) / "MLmodel").read_text().splitlines()}
    return out


def main() -> None:
    a_db, b_db, *names = sys.argv[1:]
    a, b = store(a_db, names), store(b_db, names)
    for key in a:
        if key[1] == "MLmodel":
            continue
        diff = sorted(k for k in set(a[key]) | set(b[key]) if a[key].get(k) != b[key].get(k))
        print(*key, f"({len(a[key])}):", "identical" if not diff else f"differ: {', '.join(diff)}")
        if key[1] == "model folder" and "MLmodel" in diff:
            lines = difflib.unified_diff(a[key[0], "MLmodel"]["text"], b[key[0], "MLmodel"]["text"],
                                         lineterm="", n=0)
            fields = sorted({ln[1:].split(":")[0].strip() for ln in lines
                             if ln[:1] in "+-" and not ln.startswith(("+++", "---"))})
            print(f"    MLmodel lines that differ: {', '.join(fields)}")


if __name__ == "__main__":
    main()
