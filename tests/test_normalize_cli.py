"""`bazaarwatch normalize`: JSON lines in, listings out; bad lines reported by number and
skipped. Run as a real subprocess through the installed entry point's module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli.normalize import raw_post

POST = {
    "source": "raid", "url": "https://raidforums.com/Thread-BPJS", "author": "Kotz",
    "title": "Data 200M penduduk Indonesia",
    "body": "Dijual 279 juta data penduduk BPJS Kesehatan. Sampel gratis 1 juta: "
            "bayfiles[.]com/Kd8s1Lq0u4/sampel. Harga: 0,15 BTC",
}
HTML_POST = {
    "source": "xss", "url": "https://xss.is/threads/1/", "author": "seller",
    "title": "Selling 5M users", "posted_at": "2024-01-03T08:52:00+00:00", "board": "Databases",
    "body_html": '<p>5M users. Price $500.</p><div class="hidden">Sample: '
                 '<a href="https://gofile.io/d/Abc">here</a></div>',
}


def _run(args: list[str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor", "normalize", *args], input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def test_lines_in_listings_out_and_bad_lines_reported(tmp_path: Path) -> None:
    lines = [json.dumps(POST), "{not json", json.dumps({"source": "x"}), "",
             json.dumps(HTML_POST)]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = _run(["--in", str(src), "--out", str(out)])
    assert done.returncode == 1  # some lines were skipped
    assert [line.split(":")[0] for line in done.stderr.splitlines()] == ["line 2", "line 3"]
    docs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(docs) == 2
    bpjs, html = docs
    assert bpjs["records"]["claimed"] == 279_000_000 and bpjs["records"]["sample"] == 1_000_000
    assert (bpjs["price"]["amount"], bpjs["price"]["currency"]) == (0.15, "BTC")
    assert bpjs["samples"][0]["url"] == "https://bayfiles.com/Kd8s1Lq0u4/sampel"
    assert bpjs["seller"]["handle_key"] == "kotz" and bpjs["lang"] == "id"
    assert bpjs["victim"]["country"] == "ID" and len(bpjs["_id"]) == 64
    assert html["samples"][0]["url"] == "https://gofile.io/d/Abc"
    assert html["@timestamp"] == "2024-01-03T08:52:00+00:00"
    assert html["forum"]["board"] == "Databases"


def test_stdin_to_stdout() -> None:
    done = _run([], json.dumps(POST) + "\n")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["post_type"] == "sell"


def test_missing_input_file_is_one_line_error(tmp_path: Path) -> None:
    done = _run(["--in", str(tmp_path / "absent.jsonl")])
    assert done.returncode == 1
    assert done.stderr.startswith("bazaarwatch: normalize:")


@pytest.mark.parametrize(("record", "why"), [
    ([], "a line must be a JSON object"),
    ({"source": "s", "url": "u", "title": "t"}, 'needs "body"'),
    ({"source": "s", "url": "u", "title": "t", "body": "b", "posted_at": "yesterday"},
     "yesterday"),
    ({"source": "s", "url": "u", "title": "t", "body": "b", "posted_at": "2024-01-01T00:00:00"},
     "time zone"),
    ({"source": "", "url": "u", "title": "t", "body": "b"}, "source"),
])
def test_bad_records(record: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        raw_post(record)
