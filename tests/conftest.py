"""Shared fixtures: one per real service (Elasticsearch, the Tor lab, the lab forums, the Slack
receiver), each started once per session, in its own module under tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.slack",
    "tests.fixtures.elasticsearch",
    "tests.fixtures.tornet",
    "tests.fixtures.forums",
    "tests.fixtures.transport",
]


def pytest_sessionstart(session) -> None:
    """tests/test_normalize_compiled.py runs the normalizer's tests on the compiled wheel: make
    sure that is what they import."""
    import os

    if os.environ.get("BAZAARWATCH_EXPECT_COMPILED") == "1":
        from monitor.normalize import COMPILED

        if not COMPILED:
            raise RuntimeError("BAZAARWATCH_EXPECT_COMPILED=1, but the Python modules of "
                               "monitor.normalize were imported, not the compiled ones")
