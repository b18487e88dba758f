"""Reading YAML with positions: every value keeps the file and line it came from, so the config
loader can say `config/sources.yaml:14: sources[2].engine: 'mybbb' is not one of: mybb, xenforo,
generic`. Errors are collected, never raised one at a time, so a user sees all of them at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import yaml

T = TypeVar("T")

_DURATION_RE = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)\s*d)?\s*(?:(\d+(?:\.\d+)?)\s*h)?"
                          r"\s*(?:(\d+(?:\.\d+)?)\s*m(?!s))?\s*(?:(\d+(?:\.\d+)?)\s*s)?\s*$")
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?\s*$", re.I)
_SIZE_UNITS = {None: 1, "b": 1, "kb": 1000, "kib": 1024, "mb": 1000**2, "mib": 1024**2,
               "gb": 1000**3, "gib": 1024**3}


class Errors:
    """The list of problems found while loading; each is one line: file:line: field: sentence."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, file: str, line: int, path: str, message: str) -> None:
        where = f"{file}:{line}" if line else file
        self.lines.append(f"{where}: {path}: {message}" if path else f"{where}: {message}")


class Node:
    """A YAML node with its place (file, line) and its dotted path in the document."""

    def __init__(self, node: yaml.Node | None, file: str, path: str, errors: Errors,
                 line: int | None = None):
        self.node = node
        self.file = file
        self.path = path
        self.errors = errors
        self.line = node.start_mark.line + 1 if node is not None else (line or 0)

    # -- reporting ---------------------------------------------------------------------------
    def error(self, message: str) -> None:
        self.errors.add(self.file, self.line, self.path, message)

    def child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    # -- structure ---------------------------------------------------------------------------
    @property
    def is_null(self) -> bool:
        return self.node is None or (isinstance(self.node, yaml.ScalarNode)
                                     and self.node.tag == "tag:yaml.org,2002:null")

    def mapping(self, allowed: Iterable[str], required: Iterable[str] = ()) -> dict[str, Node]:
        """The keys of a mapping node; unknown keys and missing required keys are errors."""
        if self.is_null:
            for key in required:
                self.errors.add(self.file, self.line, self.child_path(key), "is required")
            return {}
        if not isinstance(self.node, yaml.MappingNode):
            self.error(f"must be a mapping (key: value lines), not {self._kind()}")
            return {}
        allowed = allowed if isinstance(allowed, list) else list(allowed)
        out: dict[str, Node] = {}
        for key_node, value_node in self.node.value:
            key = str(key_node.value)
            if key in out:
                Node(key_node, self.file, self.child_path(key), self.errors).error(
                    "is given twice")
                continue
            if key not in allowed and f"{key}_env" in allowed:
                Node(key_node, self.file, self.child_path(key), self.errors).error(
                    f"secrets are not written in YAML: use {key}_env (an environment variable) "
                    f"or {key}_file (a file)")
                continue
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                sentence = f"is not a known setting (did you mean '{hint[0]}'?)" if hint else (
                    "is not a known setting; known: " + ", ".join(sorted(allowed)))
                Node(key_node, self.file, self.child_path(key), self.errors).error(sentence)
                continue
            out[key] = Node(value_node, self.file, self.child_path(key), self.errors)
        for key in required:
            if key not in out:
                self.errors.add(self.file, self.line, self.child_path(key), "is required")
        return out

    def items(self) -> list[Node]:
        """The elements of a sequence node (an absent/null node is an empty list)."""
        if self.is_null:
            return []
        if not isinstance(self.node, yaml.SequenceNode):
            self.error(f"must be a list, not {self._kind()}")
            return []
        return [Node(n, self.file, self.child_path(i), self.errors)
                for i, n in enumerate(self.node.value)]

    def _kind(self) -> str:
        if isinstance(self.node, yaml.MappingNode):
            return "a mapping"
        if isinstance(self.node, yaml.SequenceNode):
            return "a list"
        return f"'{self.node.value}'" if self.node is not None else "nothing"

    # -- scalars -----------------------------------------------------------------------------
    def _scalar(self) -> Any:
        if not isinstance(self.node, yaml.ScalarNode):
            self.error(f"must be a single value, not {self._kind()}")
            return _BAD
        return yaml.safe_load(yaml.serialize(self.node))

    def str(self, default: str | None = None, *, pattern: str | None = None,
            pattern_help: str = "") -> str | None:
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        if not isinstance(value, str):
            value = str(value)
        if pattern and not re.fullmatch(pattern, value):
            self.error(f"'{value}' {pattern_help or 'has a wrong form'}")
            return default
        return value

    def choice(self, options: Iterable[str], default: str | None = None) -> str | None:
        options = list(options)
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        text = str(value).lower() if isinstance(value, bool) else str(value)
        if text not in options:
            self.error(f"'{text}' is not one of: {', '.join(options)}")
            return default
        return text

    def int(self, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None) -> int | None:
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(f"'{value}' is not a whole number")
            return default
        return self._bounded(value, default, minimum, maximum)

    def float(self, default: float | None = None, *, minimum: float | None = None) -> float | None:
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.error(f"'{value}' is not a number")
            return default
        return self._bounded(float(value), default, minimum, None)

    def bool(self, default: bool = False) -> bool:
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        if not isinstance(value, bool):
            self.error(f"'{value}' is not true or false")
            return default
        return value

    def duration(self, default: float | None = None, *, minimum: float = 0) -> float | None:
        """Seconds, from a number or text such as '30s', '15m', '1h', '1h30m', '90d'."""
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            seconds = float(value)
        else:
            m = _DURATION_RE.match(str(value))
            if not m or not any(m.groups()):
                self.error(f"'{value}' is not a duration "
                           "(examples: 90, '30s', '15m', '1h30m', '90d')")
                return default
            d, h, mi, s = (float(g) if g else 0.0 for g in m.groups())
            seconds = d * 86400 + h * 3600 + mi * 60 + s
        return self._bounded(seconds, default, minimum, None)

    def size(self, default: int | None = None, *, minimum: int = 1) -> int | None:
        """Bytes, from a number or text such as '5MB', '512KiB'."""
        if self.is_null:
            return default
        value = self._scalar()
        if value is _BAD:
            return default
        m = _SIZE_RE.match(str(value))
        if isinstance(value, bool) or not m:
            self.error(f"'{value}' is not a size (examples: 5000000, '5MB', '512KiB')")
            return default
        unit = m.group(2).lower() if m.group(2) else None
        return self._bounded(int(float(m.group(1)) * _SIZE_UNITS[unit]), default, minimum, None)

    def str_list(self, *, item: Callable[[Node], T | None] | None = None) -> tuple[T, ...]:
        """A list of strings; a single string counts as a list of one."""
        if isinstance(self.node, yaml.ScalarNode) and not self.is_null:
            nodes = [self]
        else:
            nodes = self.items()
        read = item or (lambda n: n.str())
        return tuple(v for v in (read(n) for n in nodes) if v is not None)

    def _bounded(self, value: Any, default: Any, minimum: Any, maximum: Any) -> Any:
        if minimum is not None and value < minimum:
            self.error(f"{value} is below the minimum, {minimum}")
            return default
        if maximum is not None and value > maximum:
            self.error(f"{value} is above the maximum, {maximum}")
            return default
        return value


_BAD = object()


def read_yaml(path: Path, shown_as: str, errors: Errors) -> Node | None:
    """Parse one YAML file into a positioned Node; a syntax error is reported with its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        errors.add(shown_as, 0, "", "file not found")
        return None
    except (OSError, UnicodeDecodeError) as e:
        errors.add(shown_as, 0, "", f"cannot be read: {e}")
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else 0
        errors.add(shown_as, line, "", f"is not valid YAML: {e.problem}")
        return None
    except yaml.YAMLError as e:
        errors.add(shown_as, 0, "", f"is not valid YAML: {e}")
        return None
    return Node(node, shown_as, "", errors, line=1)
