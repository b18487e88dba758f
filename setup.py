"""The build. A wheel (`pip install .`, what a host and the Docker image install) carries the
normalizer compiled with mypyc: the same sources, type-checked and turned into C, 1.1-1.2 times
as many posts per second (tests/benchmarks/normalizer.py measures both). An editable install
(`pip install -e .`, the dev venv) keeps it pure Python, so an edit takes effect without a
build; so does BAZAARWATCH_COMPILE=0. Compiling needs a C compiler and the Python headers
(Debian: gcc, python3-dev); everything else is in pyproject.toml."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
# every module of the normalizer: pure functions over text, where the per-post CPU time goes
NORMALIZER = sorted(str(p.relative_to(HERE)) for p in (HERE / "monitor" / "normalize").glob("*.py"))
# the commands that build what a wheel holds; not `editable_wheel`, `egg_info`, `dist_info`
_BUILDING = {"bdist_wheel", "build", "build_ext"}


# `pip install -e .`: setuptools warns that folders of the working directory named like the package
# may be imported instead of it; in a checkout they are the package
warnings.filterwarnings("ignore", message="Editable installation")


def ext_modules() -> list:
    if os.environ.get("BAZAARWATCH_COMPILE", "1") == "0" or not _BUILDING & set(sys.argv):
        return []
    from mypyc.build import mypycify

    return mypycify(NORMALIZER, opt_level="3")


setup(ext_modules=ext_modules())
