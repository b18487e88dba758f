"""Shared fixtures: one per real service (Elasticsearch, the Tor lab, the lab forums, the Slack
receiver), each started once per session, in its own module under tests/fixtures/."""

pytest_plugins = [
    "tests.fixtures.slack",
    "tests.fixtures.elasticsearch",
    "tests.fixtures.tornet",
    "tests.fixtures.forums",
    "tests.fixtures.transport",
]
