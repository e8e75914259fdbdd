"""A new SQLite store from the cached, migrated template against one MLflow creates itself."""

import sqlite3
import time
from pathlib import Path

import mlflow
import mlflow.store.db.utils as db_utils
import pytest

from attrition.tracking import _store_template
from attrition.tracking._mlflow import _sqlite_artifact_root, setup_tracking

pytestmark = pytest.mark.slow  # MLflow's migrations, once for the reference store


def _clauses(sql: str | None) -> list[str] | None:
    """A table's SQL as its sorted lines: MLflow's own migrations write the CHECK constraints of
    ``runs`` in an order that varies from one new store to the next (Python's string hashing)."""
    return None if sql is None else sorted(line.strip().rstrip(",") for line in sql.splitlines())


def _contents(path: Path) -> tuple[list, dict]:
    con = sqlite3.connect(path)
    try:
        schema = sorted(((t, n, tbl, _clauses(sql)) for t, n, tbl, sql in
                         con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")), key=str)
        rows = {t: con.execute(f"SELECT * FROM '{t}'").fetchall()  # noqa: S608
                for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        con.close()
    return schema, rows


def _create(db: Path) -> None:
    uri = f"sqlite:///{db}"
    _store_template.create_sqlite_store(db, _sqlite_artifact_root(uri))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """A store MLflow creates itself: the fall-back when the cache cannot be written (a file where
    its folder should be), as setup_tracking created every store before the template."""
    root = tmp_path_factory.mktemp("reference")
    (root / "file").write_text("x")
    with pytest.MonkeyPatch.context() as m:
        m.setenv("ATTRITION_CACHE_DIR", str(root / "file"))
        _create(root / "mlflow.db")
    assert (root / "file").read_text() == "x"
    return root / "mlflow.db"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def cache(cache_dir, monkeypatch) -> Path:
    monkeypatch.setenv("ATTRITION_CACHE_DIR", str(cache_dir))
    return cache_dir


def _same_as_mlflows(db: Path, reference: Path, before_ms: int, after_ms: int) -> None:
    (schema, rows), (ref_schema, ref_rows) = _contents(db), _contents(reference)
    assert schema == ref_schema
    assert rows.keys() == ref_rows.keys()
    for table in rows:
        if table != "experiments":
            assert rows[table] == ref_rows[table], table
    (exp,), (ref,) = rows["experiments"], ref_rows["experiments"]
    # id, name, artifact location (this store's own mlartifacts/0), lifecycle, workspace
    assert (exp[0], exp[1], exp[3], exp[6]) == (ref[0], ref[1], ref[3], ref[6]) == (0, "Default", "active", "default")
    assert exp[2] == (db.parent / "mlartifacts").resolve().as_uri() + "/0"
    assert ref[2] == (reference.parent / "mlartifacts").resolve().as_uri() + "/0"
    assert before_ms <= exp[4] == exp[5] <= after_ms  # created now, as MLflow stamps it
    assert rows["alembic_version"] == [(_store_template.schema_head(),)]


def test_store_from_template_is_mlflows_store(reference, cache, tmp_path, monkeypatch):
    first, second = tmp_path / "one" / "mlflow.db", tmp_path / "two" / "mlflow.db"
    before = int(time.time() * 1000)
    _create(first)  # makes the template, then the store from it
    template = _store_template.template_path(_store_template.schema_head())
    assert template.exists() and template.parent.parent == cache
    assert _contents(template)[1]["experiments"] == []  # the template has no Default experiment
    _create(second)  # from the template alone: MLflow must not migrate
    after = int(time.time() * 1000)
    for db in (first, second):
        _same_as_mlflows(db, reference, before, after)
        assert db.stat().st_mode == reference.stat().st_mode
        assert not list(db.parent.glob(".*"))  # no temporary file left beside it

    def no_migrations(engine):
        raise AssertionError("MLflow migrated a store made from the template")

    monkeypatch.setattr(db_utils, "_initialize_tables", no_migrations)
    monkeypatch.setattr(db_utils, "_upgrade_db", no_migrations)
    third = tmp_path / "three" / "mlflow.db"
    uri = setup_tracking(f"sqlite:///{third}", experiment="template-exp")
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("template-exp")
    assert exp.experiment_id == "1"
    assert exp.artifact_location == (third.parent / "mlartifacts").resolve().as_uri()
    assert [e.name for e in client.search_experiments(order_by=["creation_time"])] == ["Default", "template-exp"]
    with mlflow.start_run(experiment_id=exp.experiment_id) as run:
        mlflow.log_metric("m", 1.0)
    assert client.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_corrupt_or_foreign_template_is_replaced(reference, cache, tmp_path):
    head = _store_template.schema_head()
    template = _store_template.template_path(head)
    template.parent.mkdir(parents=True, exist_ok=True)
    template.write_bytes(b"not a database")
    assert not _store_template._is_template(template, head)
    before = int(time.time() * 1000)
    _create(tmp_path / "a" / "mlflow.db")  # the template is made again
    _same_as_mlflows(tmp_path / "a" / "mlflow.db", reference, before, int(time.time() * 1000))
    assert _store_template._is_template(template, head)
    assert not _store_template._is_template(template, "another-head")
    for change in ("UPDATE alembic_version SET version_num = 'elsewhere'",
                   "INSERT INTO experiments (experiment_id, name, lifecycle_stage) VALUES (7, 'x', 'active')"):
        copy = tmp_path / "copy.db"
        copy.write_bytes(template.read_bytes())
        con = sqlite3.connect(copy)
        with con:
            con.execute(change)
        con.close()
        assert not _store_template._is_template(copy, head), change


def test_cache_off_and_the_fall_back(reference, monkeypatch):
    monkeypatch.setenv("ATTRITION_CACHE_DIR", "off")
    assert _store_template.template_path("x") is None
    before = reference.stat().st_mtime * 1000
    _same_as_mlflows(reference, reference, int(before) - 60_000, int(before) + 1)
    assert not list(reference.parent.glob(".*"))


def test_existing_store_is_never_replaced(tmp_path):
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"someone else's store")
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"template copy")
    _store_template._place(copy, db)
    assert db.read_bytes() == b"someone else's store" and not copy.exists()
