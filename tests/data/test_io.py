"""Atomic writes: all or none, even when publishing fails half-way."""

from __future__ import annotations

import pytest

from attrition.data._io import atomic_write_all, text_writer
from attrition.exceptions import ConfigError


def test_failed_write_changes_no_target(tmp_path):
    (tmp_path / "a.csv").write_text("old a")

    def fail(tmp):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write_all([(tmp_path / "a.csv", text_writer("new a")), (tmp_path / "b.html", fail)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert (tmp_path / "a.csv").read_text() == "old a"


def test_rename_failing_half_way_restores_earlier_targets(tmp_path):
    # The second target is a directory: its write succeeds, its rename fails
    # after the first target has already been replaced.
    (tmp_path / "a.csv").write_text("old a")
    (tmp_path / "b.html").mkdir()
    with pytest.raises(OSError):
        atomic_write_all([(tmp_path / "a.csv", text_writer("new a")), (tmp_path / "b.html", text_writer("b"))])
    assert (tmp_path / "a.csv").read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.html"]


def test_rename_failing_half_way_removes_new_targets(tmp_path):
    (tmp_path / "b.html").mkdir()
    with pytest.raises(OSError):
        atomic_write_all([(tmp_path / "a.csv", text_writer("new a")), (tmp_path / "b.html", text_writer("b"))])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.html"]


def test_success_replaces_all_and_leaves_no_backups(tmp_path):
    (tmp_path / "a.csv").write_text("old a")
    atomic_write_all([(tmp_path / "a.csv", text_writer("new a")), (tmp_path / "b.html", text_writer("b"))])
    assert (tmp_path / "a.csv").read_text() == "new a"
    assert (tmp_path / "b.html").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.html"]


def test_same_target_twice_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="named twice"):
        atomic_write_all([(tmp_path / "a.csv", text_writer("1")), (tmp_path / "a.csv", text_writer("2"))])
    assert list(tmp_path.iterdir()) == []
