"""The README keeps in step with the code: every configuration key the loader accepts is in the
reference, and the test command .ci/run runs is the README's."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def accepted_keys() -> set[str]:
    """Every key passed to Node.mapping([...]) in monitor/config.py, secrets expanded."""
    tree = ast.parse((ROOT / "monitor/config.py").read_text())
    constants = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name)}
    keys: set[str] = set()

    def collect(node: ast.AST) -> None:
        if isinstance(node, ast.Name) and isinstance(constants.get(node.id), ast.List):
            for elt in constants[node.id].elts:
                collect(elt)
        elif isinstance(node, ast.List):
            for elt in node.elts:
                collect(elt)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            keys.add(node.value)
        elif isinstance(node, ast.Starred) and isinstance(node.value, ast.Call):
            for arg in node.value.args:
                keys.update({f"{arg.value}_env", f"{arg.value}_file"})

    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "mapping" and node.args):
            collect(node.args[0])
    return keys


def test_every_config_key_is_documented() -> None:
    keys = accepted_keys()
    assert len(keys) > 50
    reference = README.split("## Configuration reference", 1)[1]
    documented = set(re.findall(r"[a-z_]+", reference))
    # "NAME_env / _file" documents NAME_file too
    documented |= {k.replace("_env", "_file") for k in documented if k.endswith("_env")}
    assert sorted(keys - documented) == []


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci/run").read_text()
    command = re.search(r"```sh\n(\./deploy/dev/test)\n```", README)
    assert command, "the README must give the test command in a code block"
    assert f"exec {command.group(1)}" in ci
