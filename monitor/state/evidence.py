"""Pruning the evidence kept under ``<state_dir>/evidence`` (monitor.middleware.evidence writes
it): thread pages and screenshots older than ``evidence_keep`` are removed, with the folders
they leave empty. The listings in Elasticsearch keep the page's sha256."""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

log = logging.getLogger(__name__)


def prune(directory: Path, keep_s: float, now: float | None = None) -> int:
    """Remove the files under `directory` last written more than `keep_s` seconds before `now`
    (a page read again is touched, so its time is its last use), and the folders that
    leaves empty. Returns how many files went. `keep_s` 0 keeps everything."""
    if keep_s <= 0 or not directory.is_dir():
        return 0
    cutoff = (time.time() if now is None else now) - keep_s
    removed = 0
    for root, _dirs, files in os.walk(directory, topdown=False):
        for name in files:
            path = Path(root, name)
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue  # written or pruned meanwhile
        if Path(root) != directory and not os.listdir(root):
            with contextlib.suppress(OSError):  # a page written into it meanwhile
                os.rmdir(root)
    if removed:
        log.info("evidence: %d files older than %.0f days removed from %s", removed,
                 keep_s / 86400, directory)
    return removed
