"""The normalizer a host installs is the wheel's, compiled with mypyc (setup.py): it must give
the listings the Python modules give, and pass their unit tests. The wheel is built from this
checkout by pip (tests/compiled.py: about a minute, once per state of the sources); it needs gcc
and python3-dev, which deploy/dev/setup installs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitor.normalize import COMPILED
from tests.benchmarks.normalizer_golden import outputs
from tests.compiled import REPO, compiled_env


@pytest.fixture(scope="module")
def env() -> dict[str, str]:
    return compiled_env() | {"BAZAARWATCH_EXPECT_COMPILED": "1"}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # cwd is not on the path of a script or of the pytest executable
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, check=False,
                          timeout=600)


def test_this_process_runs_the_python_modules() -> None:
    assert not COMPILED  # the dev venv's editable install: edits take effect without a build


def test_compiled_normalizer_gives_the_same_listings(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "compiled.jsonl"
    done = _run([sys.executable, str(REPO / "tests/benchmarks/normalizer_golden.py"), "write",
                 str(out)], env)
    assert done.returncode == 0, done.stderr
    assert "by the compiled normalizer" in done.stdout
    compiled = out.read_text(encoding="utf-8").splitlines()
    python = outputs()
    assert len(compiled) == len(python) > 1000
    differ = [i for i, (a, b) in enumerate(zip(compiled, python, strict=True)) if a != b]
    assert not differ, f"{len(differ)} posts differ, first: {compiled[differ[0]][:300]}"


def test_compiled_normalizer_passes_the_normalizer_unit_tests(env: dict[str, str]) -> None:
    tests = sorted(str(p.relative_to(REPO)) for p in (REPO / "tests").glob("test_normalize_*.py")
                   if p.name != Path(__file__).name)
    # --import-mode=append: pytest puts the checkout last, not before the wheel's modules
    done = _run([str(Path(sys.executable).with_name("pytest")), "-q", "-p", "no:cacheprovider",
                 "--import-mode=append", *tests], env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
