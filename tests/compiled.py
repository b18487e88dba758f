"""The project as a host installs it: the wheel `pip` builds from this checkout (setup.py compiles
the normalizer with mypyc), unpacked into build/compiled/<hash of the sources>/, so a process
with that directory first on its path imports the compiled modules. Built once per state of the
sources (about a minute on two cores) and reused after that."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILDS = REPO / "build" / "compiled"
_INPUTS = ("setup.py", "pyproject.toml")
_TREES = ("monitor", "spiders")


class BuildError(RuntimeError):
    pass


def source_key() -> str:
    """A hash of everything the wheel is built from."""
    digest = hashlib.sha256()
    files = [REPO / name for name in _INPUTS]
    for tree in _TREES:
        files += sorted(p for p in (REPO / tree).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def compiled_env() -> dict[str, str]:
    """The environment of a process that imports the compiled normalizer: PYTHONPATH holds the
    unpacked wheel, then the checkout (for `tests`, which must come before site-packages, where
    a library has left a package of that name). Builds the wheel when missing."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join((str(compiled_tree()), str(REPO))))


def compiled_tree() -> Path:
    """The directory holding the unpacked compiled wheel of the current sources; built when
    missing. Raises `BuildError` with pip's output when the build fails (no C compiler, no
    Python headers, no package index)."""
    key = source_key()
    tree = BUILDS / key
    if (tree / "monitor" / "normalize").is_dir():
        return tree
    print(f"building the compiled normalizer (pip wheel of {REPO}, about a minute) ...",
          file=sys.stderr, flush=True)
    BUILDS.mkdir(parents=True, exist_ok=True)
    # setuptools' staging from an earlier build would carry modules deleted since into the wheel
    for pattern in ("lib", "lib.*", "bdist.*", "temp.*"):
        for stale in (REPO / "build").glob(pattern):
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=BUILDS) as tmp:
        wheels = Path(tmp) / "wheels"
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels),
             str(REPO)], capture_output=True, text=True, check=False)
        built = sorted(wheels.glob("bazaarwatch-*.whl"))
        if done.returncode != 0 or not built:
            raise BuildError(
                "pip could not build the compiled wheel (it needs gcc and python3-dev: "
                f"deploy/dev/setup installs them):\n{done.stdout}{done.stderr}")
        unpacked = Path(tmp) / "tree"
        with zipfile.ZipFile(built[0]) as wheel:
            wheel.extractall(unpacked)
        if not list((unpacked / "monitor" / "normalize").glob("counts.*.so")):
            raise BuildError(f"{built[0].name} holds no compiled normalizer: was "
                             "BAZAARWATCH_COMPILE=0 set?")
        for old in BUILDS.iterdir():  # one build is kept: the sources' current state
            if old.is_dir() and old.name != Path(tmp).name:
                shutil.rmtree(old, ignore_errors=True)
        unpacked.rename(tree)
    return tree
