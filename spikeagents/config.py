"""Configuration: YAML files -> frozen dataclasses, checked strictly.

``configs/rl/<algo>.yaml`` holds training recipes keyed by env id plus ``default`` (RL Zoo style);
``envs/<EnvId>.yaml`` describes one environment. Unknown keys, wrong types and unknown registered
names (neurons, surrogates, encoders, readouts, backends, wrappers) raise :class:`ConfigError`
naming the file, the key path (``CartPole-v1.policy.neuron``) and the valid choices. YAML is read
with a ``SafeLoader`` (no Python objects, no ``eval``) that also reads ``1e5`` and ``3e-4`` as
numbers (YAML 1.2) and rejects duplicate keys.

Example::

    cfg = load_train_config("ppo", "CartPole-v1", overrides=["policy.T=16"])
    model = PPO(SpikingActorCriticPolicy, make_wrapped_env(cfg.env), **cfg.sb3_kwargs())
    TrainConfig.from_dict(cfg.to_dict()) == cfg  # the resolved config saved beside a model
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import types
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

from spikeagents.envs import WRAPPERS, make_wrapped_env

__all__ = [
    "ALGOS",
    "WRAPPERS",
    "ConfigError",
    "Schedule",
    "WrapperSpec",
    "EnvConfig",
    "PolicyConfig",
    "PPOParams",
    "A2CParams",
    "DQNParams",
    "TrainConfig",
    "config_root",
    "zoo_root",
    "read_yaml",
    "load_env_config",
    "load_train_config",
    "make_wrapped_env",
]

ALGOS = ("ppo", "a2c", "dqn")
SCHEDULES = ("constant", "linear")
#: policy keys that only actor-critic policies take (dropped for DQN)
ACTOR_CRITIC_KEYS = ("share_features_extractor", "ortho_init", "log_std_init")


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


def _parse_yaml(text: str, source: str) -> Any:
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
    return _parse_yaml(path.read_text(encoding="utf-8"), str(path))


# --- typed coercion ------------------------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _suggest(word: str, choices: Sequence[str]) -> str:
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


def _coerce(value: Any, tp: Any, source: str, path: str) -> Any:
    """Check ``value`` (from YAML) against the annotation ``tp``; return it normalised."""
    origin = get_origin(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        args = get_args(tp)
        if value is None and type(None) in args:
            return None
        if Schedule in args and isinstance(value, str):
            raise ConfigError(_schedule_string_error(value), source, path)
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _coerce(value, arg, source, path)
            except ConfigError:
                if is_dataclass(arg) and isinstance(value, Mapping):
                    raise  # a mapping meant as this dataclass: report its own error
        raise ConfigError(f"expected {_describe(tp)}, got {value!r}", source, path)
    bad = ConfigError(f"expected {_describe(tp)}, got {value!r}", source, path)
    if tp is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if tp is int:
        if isinstance(value, float) and value.is_integer():  # 1e5 written for 100000
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise bad
        return value
    if origin in (tuple, list):
        if not isinstance(value, list | tuple):
            raise bad
        items = [_coerce(v, get_args(tp)[0], source, _join(path, i)) for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if origin is dict or tp is dict:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            raise bad
        return dict(value)
    if is_dataclass(tp):
        return value if isinstance(value, tp) else _build(tp, value, source, path)
    raise TypeError(f"config annotation {tp!r} is not supported")  # a bug, not a user error


def _check_keys(raw: Any, valid: Sequence[str], source: str, path: str, what: str) -> Mapping:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"expected a mapping of {what} keys, got {raw!r}", source, path)
    for key in raw:
        if key not in valid:
            raise ConfigError(
                f"unknown key {key!r}{_suggest(str(key), valid)}; valid keys: {', '.join(valid)}",
                source,
                _join(path, str(key)),
            )
    return raw


def _build(cls: type, raw: Any, source: str, path: str) -> Any:
    """Make the frozen dataclass ``cls`` from a YAML mapping, type-checking every key."""
    hints = get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.init and f.name != "source"]
    raw = _check_keys(raw, names, source, path, cls.__name__)
    kwargs = {k: _coerce(v, hints[k], source, _join(path, k)) for k, v in raw.items()}
    for f in fields(cls):
        if f.name in names and f.name not in kwargs:
            if f.default is MISSING and f.default_factory is MISSING:
                raise ConfigError(f"missing required key {f.name!r}", source, _join(path, f.name))
    if any(f.name == "source" for f in fields(cls)):
        kwargs["source"] = source
    return _located(lambda: cls(**kwargs), source, path)


def _located(make: Callable[[], Any], source: str, path: str) -> Any:
    """Run ``make``; a ConfigError from a ``__post_init__`` check gets the file and key path."""
    try:
        return make()
    except ConfigError as exc:
        raise ConfigError(exc.reason, source, _join(path, exc.key) if exc.key else path) from None


def _choice(value: Any, choices: Sequence[str], key: str, what: str) -> None:
    if value not in choices:
        raise ConfigError(
            f"unknown {what} {value!r}{_suggest(str(value), choices)}; "
            f"valid choices: {', '.join(choices)}",
            key=key,
        )


def _plain(value: Any) -> Any:
    """Dataclass values -> YAML-able data (tuples -> lists, schedules -> mappings)."""
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _deep_merge(base: Mapping, over: Mapping) -> dict:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# --- schedules, policy, hyperparameters ----------------------------------------------------------


def _schedule_string_error(text: str) -> str:
    m = re.fullmatch(r"lin_([-+0-9.eE]+)", text.strip())
    start = m.group(1) if m else "0.001"
    return (
        f"schedules are data, not strings: write {{schedule: linear, start: {start}}} "
        f"(or {{schedule: constant, start: {start}}}, or a plain number) instead of {text!r}"
    )


@dataclass(frozen=True)
class Schedule:
    """A hyperparameter that changes over training, as SB3 calls it with ``progress_remaining``
    (1 at the start, 0 at the end): ``linear`` is ``end + (start - end) * progress_remaining``.

    :param schedule: ``"constant"`` or ``"linear"``. :param start: value at the start.
    :param end: value at the end (linear only).
    """

    schedule: str
    start: float
    end: float = 0.0

    def __post_init__(self) -> None:
        _choice(self.schedule, SCHEDULES, "schedule", "schedule")

    def __call__(self, progress_remaining: float) -> float:
        if self.schedule == "constant":
            return float(self.start)
        return float(self.end + (self.start - self.end) * progress_remaining)

    def to_dict(self) -> dict[str, Any]:
        return {"schedule": self.schedule, "start": self.start, "end": self.end}


@functools.cache
def _policy_choices() -> dict[str, tuple[str, ...]]:
    """The registered names a policy accepts (imported on first use: torch is slow to import)."""
    from spikeagents.rl.networks import ENCODERS, READOUTS, RL_NEURONS
    from spikeagents.snn.kernels import BACKEND_CHOICES
    from spikeagents.snn.surrogate import SURROGATES

    return {
        "neuron": RL_NEURONS,
        "surrogate": tuple(sorted(SURROGATES)),
        "encoder": ENCODERS,
        "readout": READOUTS,
        "backend": BACKEND_CHOICES,
    }


@dataclass(frozen=True)
class PolicyConfig:
    """The spiking policy's settings (``policy:`` in a recipe); see ``SpikingActorCriticPolicy``.

    One field per ``spikeagents.rl.policies.SPIKING_KEYS`` entry with the policy's defaults, plus
    the actor-critic options ``share_features_extractor``, ``ortho_init``, ``log_std_init``.
    """

    T: int = 16
    hidden_sizes: tuple[int, ...] = (64,)
    neuron: str = "if"
    tau: float = 2.0
    v_threshold: float = 1.0
    v_reset: float | None = None
    detach_reset: bool = True
    surrogate: str = "atan"
    surrogate_alpha: float | None = None
    encoder: str = "direct"
    pop_size: int = 10
    obs_low: float | tuple[float, ...] = -1.0
    obs_high: float | tuple[float, ...] = 1.0
    init_gain: float = 2.0
    backend: str = "auto"
    readout: str = "mean"
    readout_tau: float = 2.0
    share_features_extractor: bool = False
    ortho_init: bool = False
    log_std_init: float = 0.0

    def __post_init__(self) -> None:
        for name in ("hidden_sizes", "obs_low", "obs_high"):  # lists given in Python -> tuples
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        for key, choices in _policy_choices().items():
            _choice(getattr(self, key), choices, key, key)
        if self.T < 1:
            raise ConfigError(f"T must be >= 1, got {self.T}", key="T")
        if not self.hidden_sizes or min(self.hidden_sizes) < 1:
            raise ConfigError(
                "hidden_sizes must be a non-empty list of positive integers", key="hidden_sizes"
            )
        if self.pop_size < 1:
            raise ConfigError(f"pop_size must be >= 1, got {self.pop_size}", key="pop_size")
        if self.readout_tau < 1.0:
            raise ConfigError(
                f"readout_tau must be >= 1, got {self.readout_tau}", key="readout_tau"
            )

    def policy_kwargs(self, algo: str) -> dict[str, Any]:
        """The ``policy_kwargs`` for a spiking policy of ``algo`` (plain data)."""
        _choice(algo, ALGOS, "algo", "algorithm")
        out = {f.name: _plain(getattr(self, f.name)) for f in fields(self)}
        if algo == "dqn":
            for key in ACTOR_CRITIC_KEYS:
                out.pop(key)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


class _Params:
    """Shared behaviour of the per-algorithm hyperparameter dataclasses."""

    def sb3_kwargs(self) -> dict[str, Any]:
        """Constructor keyword arguments for the SB3 algorithm (schedules are callables)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class PPOParams(_Params):
    """``stable_baselines3.PPO`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 3e-4
    n_steps: int = 2048
    batch_size: int = 64
    n_epochs: int = 10
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_range: float | Schedule = 0.2
    clip_range_vf: float | Schedule | None = None
    normalize_advantage: bool = True
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    use_sde: bool = False
    sde_sample_freq: int = -1
    target_kl: float | None = None


@dataclass(frozen=True)
class A2CParams(_Params):
    """``stable_baselines3.A2C`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 7e-4
    n_steps: int = 5
    gamma: float = 0.99
    gae_lambda: float = 1.0
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    rms_prop_eps: float = 1e-5
    use_rms_prop: bool = True
    use_sde: bool = False
    sde_sample_freq: int = -1
    normalize_advantage: bool = False


@dataclass(frozen=True)
class DQNParams(_Params):
    """``stable_baselines3.DQN`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 1e-4
    buffer_size: int = 1_000_000
    learning_starts: int = 100
    batch_size: int = 32
    tau: float = 1.0
    gamma: float = 0.99
    train_freq: int = 4
    gradient_steps: int = 1
    target_update_interval: int = 10000
    exploration_fraction: float = 0.1
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.05
    max_grad_norm: float = 10.0


PARAMS: dict[str, type] = {"ppo": PPOParams, "a2c": A2CParams, "dqn": DQNParams}


# --- environments ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WrapperSpec:
    """One env wrapper by registered name (:data:`spikeagents.envs.WRAPPERS`) and its kwargs."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        import inspect

        _choice(self.name, sorted(WRAPPERS), "name", "wrapper")
        params = list(inspect.signature(WRAPPERS[self.name]).parameters.values())[1:]  # not env
        accepted = [p.name for p in params]
        for key in self.kwargs:
            if key not in accepted:
                raise ConfigError(
                    f"wrapper {self.name!r} takes no argument {key!r}; "
                    f"valid keys: {', '.join(accepted) or '(none)'}",
                    key=key,
                )
        for p in params:
            if p.default is inspect.Parameter.empty and p.name not in self.kwargs:
                raise ConfigError(f"wrapper {self.name!r} needs {p.name!r}", key=p.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **_plain(self.kwargs)}


@dataclass(frozen=True)
class EnvConfig:
    """One environment (``envs/<EnvId>.yaml``): what to make, how to wrap and evaluate it.

    :param id: gymnasium id. :param kwargs: ``gym.make`` keyword arguments.
    :param wrappers: wrappers applied in order. :param normalize_obs: ``VecNormalize``
        observations. :param normalize_reward: ``VecNormalize`` rewards (training only).
    :param max_episode_steps: ``None``: the env spec's. :param eval_episodes: episodes per
        evaluation. :param solved_score: mean return that counts as solved (``None``: unknown).
    :param source: where it was read from (not compared).
    """

    id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    wrappers: tuple[WrapperSpec, ...] = ()
    normalize_obs: bool = False
    normalize_reward: bool = False
    max_episode_steps: int | None = None
    eval_episodes: int = 20
    solved_score: float | None = None
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wrappers", tuple(self.wrappers))
        for key in ("render_mode", "max_episode_steps"):
            if key in self.kwargs:
                raise ConfigError(f"{key!r} is not a gym.make kwarg here", key=f"kwargs.{key}")
        if self.eval_episodes < 1:
            raise ConfigError("eval_episodes must be >= 1", key="eval_episodes")

    def to_dict(self) -> dict[str, Any]:
        """The ``envs/*.yaml`` form."""
        return {
            "id": self.id,
            "kwargs": _plain(self.kwargs),
            "wrappers": [w.to_dict() for w in self.wrappers],
            "normalize": {"obs": self.normalize_obs, "reward": self.normalize_reward},
            "max_episode_steps": self.max_episode_steps,
            "eval_episodes": self.eval_episodes,
            "solved_score": self.solved_score,
        }

    @classmethod
    def from_dict(cls, raw: Any, source: str = "", path: str = "") -> EnvConfig:
        """Parse the ``envs/*.yaml`` form (the inverse of :meth:`to_dict`)."""
        raw = dict(_check_keys(raw, _ENV_KEYS, source, path, "env"))
        norm_path = _join(path, "normalize")
        norm = _check_keys(raw.pop("normalize", {}), ("obs", "reward"), source, norm_path, "")
        for key, value in norm.items():
            raw[f"normalize_{key}"] = _coerce(value, bool, source, _join(norm_path, key))
        wrappers = _coerce(raw.get("wrappers", []), list[Any], source, _join(path, "wrappers"))
        raw["wrappers"] = [_wrapper_fields(item) for item in wrappers]
        return _build(cls, raw, source, path)


def _wrapper_fields(item: Any) -> Any:
    """``name`` or ``{name: ..., **kwargs}`` (YAML) -> ``{name: ..., kwargs: {...}}``."""
    if isinstance(item, str):
        return {"name": item}
    if isinstance(item, Mapping) and "name" in item:
        return {"name": item["name"], "kwargs": {k: v for k, v in item.items() if k != "name"}}
    return item


_ENV_KEYS = (
    "id",
    "kwargs",
    "wrappers",
    "normalize",
    "max_episode_steps",
    "eval_episodes",
    "solved_score",
)


def config_root() -> Path:
    """Where ``configs/``, ``envs/`` and ``zoo/`` live: ``$SPIKEAGENTS_HOME``, else the repository
    checkout (if ``configs/rl`` is there), else the copy installed with the package."""
    home = os.environ.get("SPIKEAGENTS_HOME")
    if home:
        return Path(home).expanduser()
    package = Path(__file__).resolve().parent
    if (package.parent / "configs" / "rl").is_dir():
        return package.parent
    return package / "_data"


def zoo_root() -> Path:
    """The trained-agent zoo (``<config_root>/zoo``)."""
    return config_root() / "zoo"


def _env_raw(env_id: str, envs_dir: Path | None) -> tuple[dict[str, Any], str]:
    envs_dir = Path(envs_dir) if envs_dir is not None else config_root() / "envs"
    path = envs_dir / f"{env_id}.yaml"
    if path.is_file():
        raw = read_yaml(path)
        if isinstance(raw, Mapping) and raw.get("id", env_id) != env_id:
            raise ConfigError(f"id {raw['id']!r} does not match the file name", str(path), "id")
        return dict(raw) if isinstance(raw, Mapping) else raw, str(path)
    import gymnasium as gym

    if env_id in gym.registry:
        return {"id": env_id, "solved_score": gym.spec(env_id).reward_threshold}, "gymnasium"
    available = sorted(p.stem for p in envs_dir.glob("*.yaml"))
    raise ConfigError(
        f"unknown environment {env_id!r}{_suggest(env_id, available)}: no {path.name} and "
        f"gymnasium does not know it; env YAMLs: {', '.join(available) or '(none)'}",
        str(envs_dir),
        env_id,
    )


def load_env_config(env_id: str, envs_dir: Path | None = None) -> EnvConfig:
    """``envs/<env_id>.yaml``, or gymnasium's defaults for an env it knows without a YAML file.

    :param env_id: gymnasium id. :param envs_dir: default ``config_root() / "envs"``.
    """
    raw, source = _env_raw(env_id, envs_dir)
    return EnvConfig.from_dict(raw, source)


# --- training recipes --------------------------------------------------------------------------

_SCALARS = (
    "n_timesteps",
    "n_envs",
    "seed",
    "eval_freq",
    "checkpoint_freq",
    "device",
    "policy_type",
)
#: ``policy_type``: the spiking policy, or SB3's ``MlpPolicy`` as the non-spiking baseline
POLICY_TYPES = ("spiking", "mlp")
_ENTRY_KEYS = (*_SCALARS, "policy", "hyperparams", "env")


@dataclass(frozen=True)
class TrainConfig:
    """A resolved training run: algorithm, env, spiking policy, hyperparameters, budget.

    :param eval_freq: evaluate every this many env steps (all envs together; 0: never).
    :param checkpoint_freq: save every this many env steps (0: never).
    :param policy_type: ``spiking`` (default) or ``mlp``: SB3's ``MlpPolicy`` trained with the
        same recipe, the baseline to compare against (see :meth:`sb3_kwargs`).
    :param source: where it was read from (not compared, not saved).
    """

    algo: str
    env: EnvConfig
    policy: PolicyConfig
    hyperparams: PPOParams | A2CParams | DQNParams
    n_timesteps: int
    n_envs: int = 1
    seed: int | None = None
    eval_freq: int = 10000
    checkpoint_freq: int = 10000
    device: str = "cpu"
    policy_type: str = "spiking"
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _choice(self.algo, ALGOS, "algo", "algorithm")
        _choice(self.policy_type, POLICY_TYPES, "policy_type", "policy type")
        if not isinstance(self.hyperparams, PARAMS[self.algo]):
            raise ConfigError(f"{self.algo} needs {PARAMS[self.algo].__name__}", key="hyperparams")
        for key, low in (
            ("n_timesteps", 0),
            ("n_envs", 1),
            ("eval_freq", 0),
            ("checkpoint_freq", 0),
        ):
            if getattr(self, key) < low:
                raise ConfigError(f"{key} must be >= {low}, got {getattr(self, key)}", key=key)

    def sb3_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``PPO/A2C/DQN(policy_class, env, **kwargs)``.

        For ``policy_type: mlp`` the policy keywords are SB3's defaults, except DQN's ``net_arch``
        (``policy.hidden_sizes``, as the RL Zoo's 256x256) and ``log_std_init`` for Box actions.
        """
        if self.policy_type == "mlp":
            if self.algo == "dqn":
                policy_kwargs = {"net_arch": list(self.policy.hidden_sizes)}
            else:
                policy_kwargs = {"log_std_init": self.policy.log_std_init}
        else:
            policy_kwargs = self.policy.policy_kwargs(self.algo)
        return {
            **self.hyperparams.sb3_kwargs(),
            "policy_kwargs": policy_kwargs,
            "seed": self.seed,
            "device": self.device,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-able data; :meth:`from_dict` reads it back to an equal config."""
        out: dict[str, Any] = {"algo": self.algo}
        out.update({key: getattr(self, key) for key in _SCALARS})
        out["env"] = self.env.to_dict()
        out["policy"] = self.policy.to_dict()
        out["hyperparams"] = self.hyperparams.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Any, source: str = "") -> TrainConfig:
        """Read :meth:`to_dict`'s form (e.g. the ``config.yaml`` saved beside a model)."""
        d = _check_keys(d, ("algo", *_ENTRY_KEYS), source, "", "TrainConfig")
        algo = _coerce(d.get("algo"), str, source, "algo")
        _located(lambda: _choice(algo, ALGOS, "algo", "algorithm"), source, "")
        if "env" not in d:
            raise ConfigError("missing required key 'env'", source, "env")
        return _assemble(algo, d, EnvConfig.from_dict(d["env"], source, "env"), source, "")

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        """Read a resolved ``config.yaml`` written by :meth:`save`."""
        return cls.from_dict(read_yaml(path), source=str(path))

    def save(self, path: str | Path) -> None:
        """Write the resolved config as YAML."""
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False), encoding="utf-8")


def _assemble(algo: str, entry: Mapping, env: EnvConfig, source: str, path: str) -> TrainConfig:
    values = {k: v for k, v in entry.items() if k not in ("algo", "env", "hyperparams")}
    params = _build(PARAMS[algo], entry.get("hyperparams", {}), source, _join(path, "hyperparams"))
    values.update(algo=algo, env=env, hyperparams=params, policy=entry.get("policy", {}))
    return _build(TrainConfig, values, source, path)


def _check_entry(algo: str, entry: Any, source: str, path: str) -> Mapping:
    """Check a (partial) recipe entry on its own, so that errors name where they are."""
    entry = _check_keys(entry, _ENTRY_KEYS, source, path, "recipe")
    hints = get_type_hints(TrainConfig)
    for key in _SCALARS:
        if key in entry:
            _coerce(entry[key], hints[key], source, _join(path, key))
    _build(PolicyConfig, entry.get("policy", {}), source, _join(path, "policy"))
    _build(PARAMS[algo], entry.get("hyperparams", {}), source, _join(path, "hyperparams"))
    if "env" in entry:
        env_path = _join(path, "env")
        _check_keys(entry["env"], _ENV_KEYS[1:], source, env_path, "env override")
        EnvConfig.from_dict({"id": "_", **entry["env"]}, source, env_path)
    return entry


def _parse_override(text: str) -> dict[str, Any]:
    key, sep, value = text.partition("=")
    parts = key.strip().split(".")
    if not sep or not all(parts):
        raise ConfigError("expected key=value, e.g. policy.T=16", f"--set {text}")
    out: dict[str, Any] = {parts[-1]: _parse_yaml(value, f"--set {text}")}
    for part in reversed(parts[:-1]):
        out = {part: out}
    return out


def load_train_config(
    algo: str,
    env_id: str,
    config_file: str | Path | None = None,
    overrides: Sequence[str] = (),
    envs_dir: Path | None = None,
    seed: int | None = None,
    n_timesteps: int | None = None,
    n_envs: int | None = None,
    device: str | None = None,
) -> TrainConfig:
    """Resolve the recipe for ``algo`` on ``env_id``.

    The entry ``env_id`` of ``configs/rl/<algo>.yaml`` (or ``config_file``) is deep-merged over
    ``default``, then the ``--set`` ``overrides`` (``"policy.T=16"``, values read as YAML), then
    the explicit arguments. The env comes from ``envs/<env_id>.yaml`` with the entry's ``env:``
    section merged over it.
    """
    _located(lambda: _choice(algo, ALGOS, "algo", "algorithm"), "", "")
    path = Path(config_file) if config_file else config_root() / "configs" / "rl" / f"{algo}.yaml"
    source = str(path)
    data = read_yaml(path)
    if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
        raise ConfigError("expected a mapping of env ids (and 'default') to recipes", source)
    merged: dict[str, Any] = {}
    for name in ("default", env_id):
        if name in data:
            merged = _deep_merge(merged, _check_entry(algo, data[name], source, name))
    for text in overrides:
        override = _parse_override(text)
        merged = _deep_merge(merged, _check_entry(algo, override, f"--set {text}", ""))
    explicit = {"seed": seed, "n_timesteps": n_timesteps, "n_envs": n_envs, "device": device}
    merged.update({k: v for k, v in explicit.items() if v is not None})
    env_raw, env_source = _env_raw(env_id, envs_dir)
    if "env" in merged:
        env_source = f"{env_source} + {source}"
        env = EnvConfig.from_dict(_deep_merge(env_raw, merged["env"]), env_source)
    else:
        env = EnvConfig.from_dict(env_raw, env_source)
    return _assemble(algo, merged, env, source, env_id if env_id in data else "default")
