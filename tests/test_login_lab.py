"""Logins against the lab forums: a members-only board read after a form login (CSRF token
included), a session that expires mid-crawl (one login again, the crawl completes), a wrong
password (login_failed: log line, exit status, state store; never a quiet "no new posts"), and
cookies imported from a browser export."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from monitor.lab.forum import LabForums
from tests.crawl_helpers import CrawlRun, crawl, finish, lab_source, write_config

SITE_KEYS = {"mybb": "mybb", "xenforo": "xf"}
LOGIN_PATH = {"mybb": "/mybb/member.php", "xenforo": "/xf/login/login"}
ENV = {"LAB_USER": "analyst", "LAB_PASSWORD": "correct-horse-battery"}
FORM_LOGIN = {"kind": "form", "username_env": "LAB_USER", "password_env": "LAB_PASSWORD"}


def boards_private_first(lab: LabForums, forum: str) -> list[str]:
    site = lab.state.sites[SITE_KEYS[forum]]
    return sorted((b.key for b in site.boards), key=lambda k: not site.board(k).login_required)


def all_thread_urls(lab: LabForums, forum: str, boards: list[str]) -> list[str]:
    site = lab.state.sites[SITE_KEYS[forum]]
    return sorted(lab.thread_url(forum, t.tid) for b in boards
                  for t in site.board_threads(site.board(b)))


def private_thread_urls(lab: LabForums, forum: str) -> set[str]:
    site = lab.state.sites[SITE_KEYS[forum]]
    return {lab.thread_url(forum, t.tid) for b in site.boards if b.login_required
            for t in site.board_threads(b)}


def config_for(tmp_path: Path, lab: LabForums, forum: str, login: dict[str, Any],
               **defaults: Any) -> Path:
    source = lab_source(lab, "lab", forum, boards_private_first(lab, forum), login=login)
    return write_config(tmp_path / "config", [source], state_dir=tmp_path / "state",
                        defaults=defaults)


def login_posts(lab: LabForums, forum: str) -> int:
    return sum(1 for r in lab.requests()["log"]
               if r["method"] == "POST" and r["path"].startswith(LOGIN_PATH[forum]))


def status_of(state_dir: Path) -> str | None:
    conn = sqlite3.connect(state_dir / "state.sqlite3")
    try:
        row = conn.execute("SELECT status FROM source_sessions WHERE source_id = 'lab'").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


@pytest.mark.parametrize("forum", ["mybb", "xenforo"])
def test_members_board_is_read_after_form_login(tmp_path: Path, forums: LabForums,
                                                forum: str) -> None:
    config = config_for(tmp_path, forums, forum, FORM_LOGIN)
    result = crawl(config, "lab", tmp_path / "posts.jsonl", env=ENV)
    assert isinstance(result, CrawlRun)
    assert result.returncode == 0, result.stderr[-3000:]
    boards = boards_private_first(forums, forum)
    assert sorted(p["url"] for p in result.posts) == all_thread_urls(forums, forum, boards)
    assert private_thread_urls(forums, forum) <= {p["url"] for p in result.posts}
    assert login_posts(forums, forum) == 1
    assert "correct-horse-battery" not in result.stderr + result.stdout
    assert status_of(tmp_path / "state") == "ok"


def test_session_expired_mid_crawl_logs_in_again_once(tmp_path: Path,
                                                      forums: LabForums) -> None:
    config = config_for(tmp_path, forums, "mybb", FORM_LOGIN, download_delay="0.3s")
    out = tmp_path / "posts.jsonl"
    proc = crawl(config, "lab", out, env=ENV, background=True)
    assert isinstance(proc, subprocess.Popen)
    started = time.monotonic()
    members_only = {"/mybb/" + u.split("/mybb/", 1)[1] for u in private_thread_urls(forums, "mybb")}
    try:
        # as soon as one members-only thread was served to the member, the session ends
        while not any(r["user"] == "analyst" and r["path"] in members_only
                      for r in forums.requests()["log"]):
            assert proc.poll() is None, "the crawl ended before it logged in"
            assert time.monotonic() - started < 120
            time.sleep(0.02)
        assert forums.expire_sessions("mybb") == 1
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    result = finish(proc.returncode, stdout, stderr, out, time.monotonic() - started)
    assert result.returncode == 0, stderr[-3000:]
    boards = boards_private_first(forums, "mybb")
    assert sorted(p["url"] for p in result.posts) == all_thread_urls(forums, "mybb", boards)
    assert login_posts(forums, "mybb") == 2
    assert "logged in (login 2 of this crawl)" in stderr
    assert re.search(r"lab: crawling: pages \d+, threads new \d+ changed 0 unchanged 0, posts"
                     r" \d+, errors 0", stderr), "a progress line every 5 s"


@pytest.mark.parametrize("forum", ["mybb", "xenforo"])
def test_wrong_password_is_login_failed_never_no_new_posts(tmp_path: Path, forums: LabForums,
                                                          forum: str) -> None:
    config = config_for(tmp_path, forums, forum, FORM_LOGIN)
    result = crawl(config, "lab", tmp_path / "posts.jsonl",
                   env={**ENV, "LAB_PASSWORD": "wrong-horse"})
    assert isinstance(result, CrawlRun)
    assert result.returncode == 2
    assert ": login_failed: " in result.report
    assert "login_failed: login refused" in result.stderr
    assert login_posts(forums, forum) == 1  # one try, no hammering
    assert not private_thread_urls(forums, forum) & {p["url"] for p in result.posts}
    assert status_of(tmp_path / "state") == "login_failed"
    assert "wrong-horse" not in result.stderr + result.stdout


@pytest.mark.parametrize(("forum", "fmt"), [("mybb", "netscape"), ("xenforo", "json")])
def test_cookies_from_a_browser_export(tmp_path: Path, forums: LabForums, forum: str,
                                       fmt: str) -> None:
    session = forums.state.login(SITE_KEYS[forum], "analyst", ENV["LAB_PASSWORD"])
    assert session is not None
    name, value = (("mybbuser", f"1001_{session.token}") if forum == "mybb"
                   else ("xf_session", session.token))
    cookies = tmp_path / ("cookies.txt" if fmt == "netscape" else "cookies.json")
    if fmt == "netscape":
        cookies.write_text("# Netscape HTTP Cookie File\n"
                           f"127.0.0.1\tFALSE\t/\tFALSE\t0\t{name}\t{value}\n")
    else:
        cookies.write_text(f'[{{"name": "{name}", "value": "{value}", "domain": "127.0.0.1",'
                           ' "path": "/"}]')
    config = config_for(tmp_path, forums, forum, {"kind": "cookies",
                                                  "cookies_file": str(cookies)})
    result = crawl(config, "lab", tmp_path / "posts.jsonl")
    assert isinstance(result, CrawlRun)
    assert result.returncode == 0, result.stderr[-3000:]
    assert private_thread_urls(forums, forum) <= {p["url"] for p in result.posts}
    assert login_posts(forums, forum) == 0

    forums.expire_sessions()  # the exported session is over: the source says so
    again = crawl(config, "lab", tmp_path / "posts2.jsonl")
    assert isinstance(again, CrawlRun)
    assert again.returncode == 2 and ": login_failed: " in again.report
    assert "imported cookies were not accepted" in again.report


@pytest.mark.parametrize("forum", ["mybb", "xenforo"])
def test_a_source_with_a_login_reads_public_boards_as_a_member(tmp_path: Path,
                                                              forums: LabForums,
                                                              forum: str) -> None:
    site = forums.state.sites[SITE_KEYS[forum]]
    public = [b.key for b in site.boards if not b.login_required]
    guest = crawl(write_config(tmp_path / "guest", [lab_source(forums, "lab", forum, public)],
                               state_dir=tmp_path / "guest-state"), "lab", tmp_path / "g.jsonl")
    assert isinstance(guest, CrawlRun) and guest.returncode == 0, guest.stderr[-2000:]
    member = crawl(write_config(tmp_path / "member", [lab_source(
        forums, "lab", forum, public, login=FORM_LOGIN)], state_dir=tmp_path / "member-state"),
        "lab", tmp_path / "m.jsonl", env=ENV)
    assert isinstance(member, CrawlRun) and member.returncode == 0, member.stderr[-2000:]
    assert login_posts(forums, forum) == 1  # the first guest page made it log in
    hidden = re.compile(r"(register|log ?in|logged-in) to (view|see)", re.I)
    guest_hidden = {p["url"] for p in guest.posts if hidden.search(p["body_text"])}
    assert guest_hidden, "the lab hides some content from guests"
    assert not any(hidden.search(p["body_text"]) for p in member.posts)
    assert sorted(p["url"] for p in member.posts) == sorted(p["url"] for p in guest.posts)


def test_the_next_crawl_reuses_the_session_instead_of_logging_in(tmp_path: Path,
                                                                 forums: LabForums) -> None:
    config = config_for(tmp_path, forums, "mybb", FORM_LOGIN)
    first = crawl(config, "lab", tmp_path / "a.jsonl", env=ENV)
    assert isinstance(first, CrawlRun) and first.returncode == 0, first.stderr[-2000:]
    assert login_posts(forums, "mybb") == 1
    second = crawl(config, "lab", tmp_path / "b.jsonl", env=ENV)
    assert isinstance(second, CrawlRun) and second.returncode == 0, second.stderr[-2000:]
    assert login_posts(forums, "mybb") == 1  # the stored session still works
    assert "with the cookies of the last session" in second.stderr
    forums.expire_sessions()
    third = crawl(config, "lab", tmp_path / "c.jsonl", env=ENV)
    assert isinstance(third, CrawlRun) and third.returncode == 0, third.stderr[-2000:]
    assert login_posts(forums, "mybb") == 2  # stale cookies: one login, then on as before
