"""Output check for speed work on the normalizer: `write FILE` records normalize()'s output on
every corpus post, every held-out post and every 2 KB benchmark post; `check FILE` compares the
output of the code as it is now with that record and prints the posts that differ. A change
meant only to make the normalizer faster must leave `check` at "0 of N posts differ".

    .venv/bin/python tests/benchmarks/normalizer_golden.py write /tmp/golden.jsonl
    ... change the code ...
    .venv/bin/python tests/benchmarks/normalizer_golden.py check /tmp/golden.jsonl

Instruction counts are steadier than wall-clock time on a busy machine; for one normalize() of
200 posts: `PYTHONHASHSEED=0 valgrind --tool=callgrind --toggle-collect=starmap_next` around
`list(itertools.starmap(normalize, ((p,) for p in posts)))`, after a warm-up pass, on an
interpreter with symbols (pyenv's; Debian's is stripped). Not `map`: the normalizer calls
`map()` itself, and counting stops inside every nested `map_next`. A random hash seed moves
the count by 2-3%, garbage collection by about 1%.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # (on PYTHONPATH after a compiled tree: tests/compiled.py)
    sys.path.insert(0, str(REPO))

from monitor.models import RawPost  # noqa: E402
from tests.benchmarks.normalizer import raw_of, two_kb_lines  # noqa: E402
from tests.test_normalize_corpus import HELDOUT_DIR, load_corpus  # noqa: E402


def posts() -> list[RawPost]:
    corpus = load_corpus()
    return ([case.raw for case in corpus] + [case.raw for case in load_corpus(HELDOUT_DIR)]
            + [raw_of(line) for line in two_kb_lines(corpus)])


def outputs() -> list[str]:
    from monitor.normalize import normalize

    out = []
    for raw in posts():
        doc = normalize(raw).to_doc()
        doc.pop("crawled_at", None)
        out.append(json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["write", "check"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    now = outputs()
    if args.action == "write":
        from monitor.normalize import COMPILED

        args.file.write_text("\n".join(now) + "\n", encoding="utf-8")
        print(f"{len(now)} outputs written to {args.file} by the "
              f"{'compiled' if COMPILED else 'Python'} normalizer")
        return 0
    before = args.file.read_text(encoding="utf-8").splitlines()
    if len(before) != len(now):
        print(f"{args.file} holds {len(before)} outputs, the posts are {len(now)} now: "
              "write it again from the code before your change")
        return 2
    urls = [raw.url for raw in posts()]
    differ = 0
    for i, (old, new) in enumerate(zip(before, now, strict=True)):
        if old != new:
            differ += 1
            a, b = json.loads(old), json.loads(new)
            fields = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b))
                      if a.get(k) != b.get(k)}
            print(f"{urls[i]}: {json.dumps(fields, ensure_ascii=False)[:400]}")
    print(f"{differ} of {len(now)} posts differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
