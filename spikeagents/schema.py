"""Strict YAML -> frozen dataclasses: reading, type checks, choices, overrides and merging.

The engine under every spikeagents configuration (RL recipes, environments, classification
recipes). It knows nothing of what the dataclasses mean, and imports nothing else of the package.

- :func:`read_yaml` / :func:`parse_yaml`: a ``SafeLoader`` (plain data only, never Python
  objects, no ``eval``) that also reads ``1e5`` and ``3e-4`` as numbers (YAML 1.2), reads only
  ``true``/``false`` as booleans, and rejects duplicate keys.
- :func:`build`: a frozen dataclass from a mapping, every key type-checked against the field's
  annotation (:func:`coerce`); unknown keys are errors that suggest the closest valid one.
- :func:`check_choice`: a registered name or a :class:`ConfigError` listing the valid ones.
- :func:`parse_override` (``--set a.b=value``) and :func:`deep_merge`.

Every mistake is a :class:`ConfigError` reading ``"<file>: <key.path>: <what is wrong>"``.

Example::

    @dataclass(frozen=True)
    class Opt:
        name: str = "adam"
        lr: float = 1e-3

    build(Opt, parse_yaml("{lr: 3e-4}", "inline"), "inline", "optimizer")  # Opt("adam", 0.0003)
"""

from __future__ import annotations

import difflib
import re
import types
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import MISSING, dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

__all__ = [
    "ConfigError",
    "Schedule",
    "SCHEDULES",
    "read_yaml",
    "parse_yaml",
    "coerce",
    "check_keys",
    "check_choice",
    "check_at_least",
    "build",
    "located",
    "join_key",
    "suggest",
    "to_plain",
    "deep_merge",
    "parse_override",
]

SCHEDULES = ("constant", "linear")


class ConfigError(ValueError):
    """A configuration mistake: ``"<file>: <key.path>: <what is wrong; valid choices>"``."""

    def __init__(self, reason: str, source: str = "", key: str = "") -> None:
        self.reason, self.source, self.key = reason, str(source), key
        where = ": ".join(p for p in (self.source, key) if p)
        super().__init__(f"{where}: {reason}" if where else reason)


# --- YAML ------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader + YAML 1.2 floats (``1e5``, ``3e-4``) + an error on duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, Hashable) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)

# YAML 1.2 booleans: only true/false. YAML 1.1 also reads yes/no/on/off as booleans, which
# breaks class lists such as `--set classes=[yes,no,on,off]` (speech commands).
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML text with the strict safe loader; ``source`` names it in errors."""
    try:
        loader = _Loader(text)  # a SafeLoader subclass: plain data only, never objects
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", source) from None


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file with the strict safe loader."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError("no such file", str(path))
    return parse_yaml(path.read_text(encoding="utf-8"), str(path))


# --- typed coercion ------------------------------------------------------------------------------


def join_key(path: str, key: str | int) -> str:
    """``"a.b"`` + ``"c"`` -> ``"a.b.c"``; ``"a"`` + ``2`` -> ``"a[2]"``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def suggest(word: str, choices: Sequence[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(tp: Any) -> str:
    if tp is type(None):
        return "null"
    if get_origin(tp) in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp))
    if get_origin(tp) in (tuple, list):
        return f"a list of {_describe(get_args(tp)[0])}s"
    if get_origin(tp) is dict or tp is dict:
        return "a mapping"
    if tp is Schedule:
        return "a schedule mapping {schedule: constant|linear, start: <number>, end: <number>}"
    if is_dataclass(tp):
        return f"a mapping of {tp.__name__} keys"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _coerce_union(value: Any, tp: Any, source: str, path: str) -> Any:
    args = get_args(tp)
    if value is None and type(None) in args:
        return None
    if Schedule in args and isinstance(value, str):
        raise ConfigError(_schedule_string_error(value), source, path)
    for arg in args:
        if arg is type(None):
            continue
        try:
            return coerce(value, arg, source, path)
        except ConfigError:
            if is_dataclass(arg) and isinstance(value, Mapping):
                raise  # a mapping meant as this dataclass: report its own error
    raise ConfigError(f"expected {_describe(tp)}, got {value!r}", source, path)


def _coerce_scalar(value: Any, tp: type) -> Any:
    """``value`` as ``tp`` (bool, int, float or str), or ``MISSING`` when it is not one."""
    if tp is bool:
        return value if isinstance(value, bool) else MISSING
    if isinstance(value, bool):
        return MISSING
    if tp is int:
        if isinstance(value, float) and value.is_integer():  # 1e5 written for 100000
            return int(value)
        return value if isinstance(value, int) else MISSING
    if tp is float:
        return float(value) if isinstance(value, int | float) else MISSING
    return value if isinstance(value, str) else MISSING


def coerce(value: Any, tp: Any, source: str, path: str) -> Any:
    """Check ``value`` (from YAML) against the annotation ``tp``; return it normalised
    (lists -> tuples for ``tuple[...]`` fields, ``1e5`` -> ``100000`` for ``int``)."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        return _coerce_union(value, tp, source, path)
    bad = ConfigError(f"expected {_describe(tp)}, got {value!r}", source, path)
    if tp in (bool, int, float, str):
        out = _coerce_scalar(value, tp)
        if out is MISSING:
            raise bad
        return out
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise bad
        items = [coerce(v, get_args(tp)[0], source, join_key(path, i)) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise bad
        return dict(value)
    if is_dataclass(tp):
        return value if isinstance(value, tp) else build(tp, value, source, path)
    raise TypeError(f"config annotation {tp!r} is not supported")  # a bug, not a user error


def check_keys(raw: Any, valid: Sequence[str], source: str, path: str, what: str) -> Mapping:
    """``raw`` must be a mapping whose keys are all in ``valid`` (else a ConfigError naming the
    unknown key, the closest valid one and all of them)."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"expected a mapping of {what} keys, got {raw!r}", source, path)
    for key in raw:
        if key not in valid:
            raise ConfigError(
                f"unknown key {key!r}{suggest(str(key), valid)}; valid keys: {', '.join(valid)}",
                source,
                join_key(path, str(key)),
            )
    return raw


def build(cls: type, raw: Any, source: str, path: str) -> Any:
    """Make the frozen dataclass ``cls`` from a YAML mapping, type-checking every key.

    A field named ``source`` (if the class has one) receives ``source`` instead of a YAML value.
    """
    hints = get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.init and f.name != "source"]
    raw = check_keys(raw, names, source, path, cls.__name__)
    kwargs = {k: coerce(v, hints[k], source, join_key(path, k)) for k, v in raw.items()}
    for f in fields(cls):
        if f.name in names and f.name not in kwargs:
            if f.default is MISSING and f.default_factory is MISSING:
                raise ConfigError(
                    f"missing required key {f.name!r}", source, join_key(path, f.name)
                )
    if any(f.name == "source" for f in fields(cls)):
        kwargs["source"] = source
    return located(lambda: cls(**kwargs), source, path)


def located(make: Callable[[], Any], source: str, path: str) -> Any:
    """Run ``make``; a ConfigError from a ``__post_init__`` check gets the file and key path."""
    try:
        return make()
    except ConfigError as exc:
        raise ConfigError(
            exc.reason, source, join_key(path, exc.key) if exc.key else path
        ) from None


def check_choice(value: Any, choices: Sequence[str], key: str, what: str) -> None:
    """A ConfigError (``key`` set) unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ConfigError(
            f"unknown {what} {value!r}{suggest(str(value), choices)}; "
            f"valid choices: {', '.join(choices)}",
            key=key,
        )


def check_at_least(obj: Any, **minimums: float) -> None:
    """A ConfigError (``key`` set) for the first field of ``obj`` below its minimum, e.g.
    ``check_at_least(cfg, n_envs=1, eval_freq=0)``."""
    for key, low in minimums.items():
        value = getattr(obj, key)
        if value < low:
            raise ConfigError(f"{key} must be >= {low}, got {value}", key=key)


def to_plain(value: Any) -> Any:
    """Dataclass values -> YAML-able data (tuples -> lists, schedules -> mappings)."""
    if isinstance(value, Schedule):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def deep_merge(base: Mapping, over: Mapping) -> dict:
    """``over`` merged into a copy of ``base``; nested mappings merge key by key."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def parse_override(text: str) -> dict[str, Any]:
    """``"policy.T=16"`` -> ``{"policy": {"T": 16}}`` (the value read as YAML)."""
    key, sep, value = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise ConfigError("expected key=value, e.g. policy.T=16", f"--set {text}")
    out: dict[str, Any] = {parts[-1]: parse_yaml(value, f"--set {text}")}
    for part in reversed(parts[:-1]):
        out = {part: out}
    return out


# --- schedules -----------------------------------------------------------------------------------


def _schedule_string_error(text: str) -> str:
    m = re.fullmatch(r"lin_([-+0-9.eE]+)", text.strip())
    start = m.group(1) if m else "0.001"
    return (
        f"schedules are data, not strings: write {{schedule: linear, start: {start}}} "
        f"(or {{schedule: constant, start: {start}}}, or a plain number) instead of {text!r}"
    )


@dataclass(frozen=True)
class Schedule:
    """A hyperparameter that changes over training, called as SB3 calls it with
    ``progress_remaining`` (1 at the start, 0 at the end): ``linear`` is
    ``end + (start - end) * progress_remaining``.

    :param schedule: ``"constant"`` or ``"linear"``. :param start: value at the start.
    :param end: value at the end (linear only).
    """

    schedule: str
    start: float
    end: float = 0.0

    def __post_init__(self) -> None:
        check_choice(self.schedule, SCHEDULES, "schedule", "schedule")

    def __call__(self, progress_remaining: float) -> float:
        if self.schedule == "constant":
            return float(self.start)
        return float(self.end + (self.start - self.end) * progress_remaining)

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "start": self.start, "end": self.end}
