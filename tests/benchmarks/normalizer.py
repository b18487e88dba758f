"""Normalizer benchmark: per-field accuracy on the labelled corpus, throughput and peak memory.

Run on its own from the repository root:

    .venv/bin/python tests/benchmarks/normalizer.py [--seconds 3] [--misses]

Accuracy is scored exactly as tests/test_normalize_corpus.py scores it (the same functions), on
the corpus (tests/data/posts/, which the code was tuned on) and on the held-out set
(tests/data/heldout/, never tuned on); the RESULT line carries the held-out figures, since the
issue's targets are about posts the normalizer has never seen.
Throughput is one process over 2 KB posts built from the corpus (each post's body topped up
with the bodies of the posts after it, then cut to 2,048 bytes), read as JSON lines like
`bazaarwatch normalize` reads them. The baseline, measured in the same run on the same lines,
is the loop without the normalizer (JSON decode + RawPost); its rate and the ratio are printed.
The interpreter is printed with them: `deploy/dev/setup` builds the venv on Debian's python3, the
one a host runs the service with; another build of the same version ran it 9-15% slower here.
Peak memory is the process's peak resident set (ru_maxrss), which includes the interpreter and
every library the normalizer loads; the Python-heap peak of one pass (tracemalloc) is printed
too. The last line is `RESULT key=value ...`.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from monitor.models import Listing, RawPost  # noqa: E402
from tests.test_normalize_corpus import (  # noqa: E402
    HELDOUT_DIR,
    TARGETS,
    Case,
    Score,
    load_corpus,
    score,
)

POST_BYTES = 2048


def two_kb_lines(cases: list[Case]) -> list[str]:
    """One JSON line per corpus post, its body topped up from the next posts to 2,048 bytes."""
    bodies = [case.raw.body_text for case in cases]
    lines = []
    for i, case in enumerate(cases):
        parts, size, j = [], 0, i
        while size < POST_BYTES:
            part = bodies[j % len(bodies)]
            parts.append(part)
            size += len(part.encode()) + 2
            j += 1
        body = "\n\n".join(parts).encode()[:POST_BYTES].decode(errors="ignore")
        record = {
            "source": case.raw.source_id,
            "url": case.raw.url,
            "title": case.raw.title,
            "author": case.raw.author,
            "body": body,
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return lines


def raw_of(line: str) -> RawPost:
    d: dict[str, Any] = json.loads(line)
    return RawPost(d["source"], d["url"], d["title"], d["body"], author=d["author"])


def rate(lines: list[str], work: Callable[[str], object], seconds: float) -> tuple[float, float]:
    """Posts per second of `work` over `lines` (wall clock), looping for at least `seconds`, best
    of 3; and the CPU seconds per post of that best loop, which another busy process on the
    machine disturbs less than the wall clock."""
    best, cpu = 0.0, 0.0
    for _ in range(3):
        done, start, start_cpu = 0, time.perf_counter(), time.process_time()
        while True:
            for line in lines:
                work(line)
            done += len(lines)
            elapsed = time.perf_counter() - start
            if elapsed >= seconds / 3:
                break
        if done / elapsed > best:
            best, cpu = done / elapsed, (time.process_time() - start_cpu) / done
    return best, cpu


def report(name: str, where: str, result: Score, misses: bool) -> None:
    acc = result.accuracy()
    print(f"{name}: {result.total} posts from {where}")
    for field_name, target in TARGETS.items():
        flag = "ok  " if acc[field_name] >= target else "LOW "
        print(f"  {flag}{field_name:<11} {acc[field_name]:.3f}  (target {target})")
        if misses:
            for miss in result.misses[field_name]:
                print(f"        {miss}")
    print(f"      data_fields {result.data_fields_f1():.3f}  (micro F1, no target)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per throughput loop")
    parser.add_argument("--misses", action="store_true", help="list the posts each field misses")
    args = parser.parse_args(argv)

    cases = load_corpus()
    lines = two_kb_lines(cases)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    from monitor.normalize import normalize

    def full(line: str) -> Listing:
        return normalize(raw_of(line))

    report("corpus (tuned on)", "tests/data/posts/", score(cases, normalize), args.misses)
    heldout = score(load_corpus(HELDOUT_DIR), normalize)
    report("held-out (never tuned on)", "tests/data/heldout/", heldout, args.misses)
    acc = heldout.accuracy()

    for line in lines:  # warm-up: compiled tables, lazy imports
        full(line)
    baseline, _ = rate(lines, raw_of, args.seconds)
    measured, cpu_per_post = rate(lines, full, args.seconds)
    print(f"throughput on {len(lines)} posts of {POST_BYTES} bytes, one process, Python "
          f"{platform.python_version()} ({getattr(sys, '_base_executable', sys.executable)}):")
    print(f"  baseline (JSON decode + RawPost): {baseline:,.0f} posts/s")
    print(f"  normalize:                        {measured:,.0f} posts/s "
          f"({cpu_per_post * 1e6:,.0f} us of CPU per post)")
    print(f"  normalize costs {baseline / measured:,.1f}x the baseline per post")

    tracemalloc.start()
    for line in lines:
        full(line)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: peak RSS {peak_mb:.1f} MB (before importing normalize: {rss_before:.1f} MB)")
    print(f"  Python heap peak over one pass: {heap_peak / 2**20:.1f} MB")

    fields = " ".join(f"{name}={acc[name]:.3f}" for name in TARGETS)
    print(f"RESULT {fields} posts_per_s={measured:.0f} peak_mb={peak_mb:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
