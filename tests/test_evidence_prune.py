"""Pruning kept evidence: files not used for `evidence_keep` go, newer ones stay, and folders
left empty go too; 0 keeps everything."""

from __future__ import annotations

import os
from pathlib import Path

from monitor.state.evidence import prune

NOW = 1_800_000_000.0
DAY = 86400.0


def kept(root: Path, name: str, age_days: float) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("<html></html>")
    os.utime(path, (NOW - age_days * DAY, NOW - age_days * DAY))
    return path


def test_old_files_and_their_empty_folders_go(tmp_path: Path) -> None:
    old = kept(tmp_path, "src/ab/ab12.html", 100)
    fresh = kept(tmp_path, "src/cd/cd34.html", 10)
    shot = kept(tmp_path, "screenshots/src-1.png", 95)
    assert prune(tmp_path, 90 * DAY, now=NOW) == 2
    assert not old.exists() and not shot.exists() and fresh.exists()
    assert not (tmp_path / "src" / "ab").exists()  # left empty
    assert not (tmp_path / "screenshots").exists()
    assert tmp_path.exists()  # the evidence folder itself stays


def test_zero_keeps_everything_and_a_missing_folder_is_fine(tmp_path: Path) -> None:
    old = kept(tmp_path, "src/ab/ab12.html", 1000)
    assert prune(tmp_path, 0, now=NOW) == 0
    assert old.exists()
    assert prune(tmp_path / "absent", 90 * DAY, now=NOW) == 0
