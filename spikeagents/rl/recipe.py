"""RL training recipes: ``configs/rl/<algo>.yaml`` -> a frozen, checked :class:`TrainConfig`.

A recipe file is keyed by env id plus ``default`` (RL Zoo style). An entry holds the budget
(``n_timesteps``, ``n_envs``, ``eval_freq``, ``checkpoint_freq``, ``seed``, ``device``,
``policy_type``), the spiking policy (``policy:``, :class:`PolicyConfig`), the algorithm's
hyperparameters (``hyperparams:``, :mod:`spikeagents.rl.hyperparams`) and overrides of the
environment file (``env:``, :class:`~spikeagents.envs.EnvConfig`). Unknown keys, wrong types and
unknown names raise :class:`~spikeagents.schema.ConfigError` naming the file, the key path
(``CartPole-v1.policy.neuron``) and the valid choices.

Example::

    cfg = load_train_config("ppo", "CartPole-v1", overrides=["policy.T=16"])
    model = PPO(SpikingActorCriticPolicy, make_wrapped_env(cfg.env), **cfg.sb3_kwargs())
    TrainConfig.from_dict(cfg.to_dict()) == cfg  # the resolved config saved beside a model
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import yaml
from torch import nn

from spikeagents.envs import ENV_KEYS, EnvConfig, read_env_entry
from spikeagents.paths import config_root
from spikeagents.rl.algos import ALGOS, Algorithm, get_algo
from spikeagents.rl.homeostasis import HomeostasisConfig
from spikeagents.rl.hyperparams import HyperParams
from spikeagents.rl.settings import SPIKING_KEYS, SpikingSettings
from spikeagents.schema import (
    ConfigError,
    build,
    check_at_least,
    check_choice,
    check_keys,
    coerce,
    deep_merge,
    join_key,
    located,
    parse_override,
    read_yaml,
    to_plain,
)

__all__ = [
    "POLICY_TYPES",
    "PolicyConfig",
    "TrainConfig",
    "load_train_config",
]

#: ``policy_type``: the spiking policy, or SB3's ``MlpPolicy`` as the non-spiking baseline
POLICY_TYPES = ("spiking", "mlp")


def _check_algo(algo: str) -> None:
    check_choice(algo, tuple(ALGOS), "algo", "algorithm")


@dataclass(frozen=True)
class PolicyConfig(SpikingSettings):
    """The ``policy:`` section of a recipe: the spiking settings
    (:class:`~spikeagents.rl.settings.SpikingSettings`) plus the options of particular policies:

    - actor-critic (PPO, A2C): ``share_features_extractor``, ``ortho_init``, ``log_std_init``
      (SB3's);
    - continuous off-policy (SAC, TD3, DDPG): ``critic_hidden_sizes`` (the critics' MLP) and
      ``spiking_critic`` (spiking critics instead), ``share_features_extractor``, and SAC's
      ``log_std_init`` (gSDE);
    - stateful (``stateful: true``): ``recurrent_synapses`` (the spiking layer also receives its
      own previous spikes through a learned weight).
    """

    share_features_extractor: bool = False
    ortho_init: bool = False
    log_std_init: float = 0.0
    recurrent_synapses: bool = False
    critic_hidden_sizes: tuple[int, ...] = (256, 256)
    spiking_critic: bool = False

    def policy_kwargs(self, algo: str, stateful: bool = False) -> dict[str, Any]:
        """The ``policy_kwargs`` for the spiking policy of ``algo`` (plain data): the spiking
        settings and the options that policy takes."""
        _check_algo(algo)
        algorithm = ALGOS[algo]
        out = {key: to_plain(getattr(self, key)) for key in SPIKING_KEYS}
        out.update({key: to_plain(getattr(self, key)) for key in algorithm.policy_keys})
        if stateful:
            out.pop("share_features_extractor")  # sb3-contrib's own default
            out["recurrent_synapses"] = self.recurrent_synapses
        elif self.recurrent_synapses:
            raise ConfigError(
                "recurrent_synapses needs a stateful policy (stateful: true)",
                key="recurrent_synapses",
            )
        if not algorithm.continuous:
            self.check_membrane_decoder(algo)
        return out

    def to_dict(self) -> dict[str, Any]:
        return to_plain(self)


_SCALARS = (
    "n_timesteps",
    "n_envs",
    "seed",
    "eval_freq",
    "checkpoint_freq",
    "device",
    "policy_type",
    "stateful",
    "stop_when_solved",
    "homeostasis",
)
_ENTRY_KEYS = (*_SCALARS, "policy", "hyperparams", "env")


@dataclass(frozen=True)
class TrainConfig:
    """A resolved training run: algorithm, env, spiking policy, hyperparameters, budget.

    :param eval_freq: evaluate every this many env steps (all envs together; 0: never).
    :param checkpoint_freq: save every this many env steps (0: never).
    :param policy_type: ``spiking`` (default) or ``mlp``: SB3's ``MlpPolicy`` trained with the
        same recipe, the baseline to compare against (see :meth:`sb3_kwargs`).
    :param stateful: the policy's membrane carries over from one environment step to the next
        (a :class:`~spikeagents.rl.policies.SpikingRecurrentPolicy` under sb3-contrib's
        ``RecurrentPPO``; the ``mlp`` baseline is then its LSTM policy).
    :param stop_when_solved: end training at the first periodic evaluation whose mean reaches
        the environment's ``solved_score``.
    :param homeostasis: move silent spiking neurons back to threshold during training
        (:class:`~spikeagents.rl.homeostasis.HomeostasisConfig`; ``None``: off).
    :param source: where it was read from (not compared, not saved).
    """

    algo: str
    env: EnvConfig
    policy: PolicyConfig
    hyperparams: HyperParams
    n_timesteps: int
    n_envs: int = 1
    seed: int | None = None
    eval_freq: int = 10000
    checkpoint_freq: int = 10000
    device: str = "cpu"
    policy_type: str = "spiking"
    stateful: bool = False
    stop_when_solved: bool = False
    homeostasis: HomeostasisConfig | None = None
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        _check_algo(self.algo)
        check_choice(self.policy_type, POLICY_TYPES, "policy_type", "policy type")
        params = ALGOS[self.algo].params_class
        if not isinstance(self.hyperparams, params):
            raise ConfigError(f"{self.algo} needs {params.__name__}", key="hyperparams")
        check_at_least(self, n_timesteps=0, n_envs=1, eval_freq=0, checkpoint_freq=0)
        get_algo(self.algo, self.stateful)  # refuses a stateful dqn or a2c, naming what works
        if self.policy.recurrent_synapses and not self.stateful:
            raise ConfigError(
                "recurrent_synapses needs a stateful policy (stateful: true)",
                key="policy.recurrent_synapses",
            )
        if self.stop_when_solved and self.env.solved_score is None:
            raise ConfigError(
                f"stop_when_solved needs a solved_score, and {self.env.id} has none "
                "(set solved_score in its envs/ file)",
                key="stop_when_solved",
            )

    def sb3_kwargs(self, action_dim: int | None = None) -> dict[str, Any]:
        """Keyword arguments for ``PPO/A2C/DQN(policy_class, env, **kwargs)``.

        For ``policy_type: mlp`` the policy keywords are SB3's defaults, except DQN's ``net_arch``
        (``policy.hidden_sizes``, as the RL Zoo's 256x256), the continuous algorithms'
        ``net_arch`` (``policy.critic_hidden_sizes`` for actor and critics) and ``log_std_init``
        for Box actions. The action noise of TD3 and DDPG is made here (it needs the action
        dimension: pass ``action_dim``).
        """
        if self.policy_type == "mlp" and self.stateful:  # the RL Zoo's ppo_lstm policy
            width = self.policy.hidden_sizes[0]
            policy_kwargs = {
                "lstm_hidden_size": width,
                "ortho_init": False,
                "activation_fn": nn.ReLU,
                "enable_critic_lstm": True,
                "net_arch": {"pi": [width], "vf": [width]},
                "log_std_init": self.policy.log_std_init,
            }
        elif self.policy_type == "mlp" and self.algorithm.continuous:  # actor and critics alike
            policy_kwargs = {"net_arch": list(self.policy.critic_hidden_sizes)}
        elif self.policy_type == "mlp":
            if self.algo == "dqn":
                policy_kwargs = {"net_arch": list(self.policy.hidden_sizes)}
            else:
                policy_kwargs = {"log_std_init": self.policy.log_std_init}
        else:
            policy_kwargs = self.policy.policy_kwargs(self.algo, self.stateful)
        return {
            **self.hyperparams.sb3_kwargs(action_dim),
            "policy_kwargs": policy_kwargs,
            "seed": self.seed,
            "device": self.device,
        }

    @property
    def algorithm(self) -> Algorithm:
        """What trains this recipe: the SB3 (or sb3-contrib) class, policy, hyperparameters."""
        return get_algo(self.algo, self.stateful)

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-able data; :meth:`from_dict` reads it back to an equal config."""
        out: dict[str, Any] = {"algo": self.algo}
        out.update({key: to_plain(getattr(self, key)) for key in _SCALARS})
        out["env"] = self.env.to_dict()
        out["policy"] = self.policy.to_dict()
        out["hyperparams"] = self.hyperparams.to_dict()
        return out

    @classmethod
    def from_dict(cls, d: Any, source: str = "") -> TrainConfig:
        """Read :meth:`to_dict`'s form (e.g. the ``config.yaml`` saved beside a model)."""
        d = check_keys(d, ("algo", *_ENTRY_KEYS), source, "", "TrainConfig")
        algo = coerce(d.get("algo"), str, source, "algo")
        located(lambda: _check_algo(algo), source, "")
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
    params_class = ALGOS[algo].params_class
    params = build(
        params_class, entry.get("hyperparams", {}), source, join_key(path, "hyperparams")
    )
    values.update(algo=algo, env=env, hyperparams=params, policy=entry.get("policy", {}))
    return build(TrainConfig, values, source, path)


def _check_entry(algo: str, entry: Any, source: str, path: str) -> Mapping:
    """Check a (partial) recipe entry on its own, so that errors name where they are."""
    entry = check_keys(entry, _ENTRY_KEYS, source, path, "recipe")
    hints = get_type_hints(TrainConfig)
    for key in _SCALARS:
        if key in entry:
            coerce(entry[key], hints[key], source, join_key(path, key))
    build(PolicyConfig, entry.get("policy", {}), source, join_key(path, "policy"))
    params_class = ALGOS[algo].params_class
    build(params_class, entry.get("hyperparams", {}), source, join_key(path, "hyperparams"))
    if "env" in entry:
        env_path = join_key(path, "env")
        check_keys(entry["env"], ENV_KEYS[1:], source, env_path, "env override")
        EnvConfig.from_dict({"id": "_", **entry["env"]}, source, env_path)
    return entry


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
    located(lambda: _check_algo(algo), "", "")
    path = Path(config_file) if config_file else config_root() / "configs" / "rl" / f"{algo}.yaml"
    source = str(path)
    data = read_yaml(path)
    if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
        raise ConfigError("expected a mapping of env ids (and 'default') to recipes", source)
    merged: dict[str, Any] = {}
    for name in ("default", env_id):
        if name in data:
            merged = deep_merge(merged, _check_entry(algo, data[name], source, name))
    for text in overrides:
        override = parse_override(text)
        merged = deep_merge(merged, _check_entry(algo, override, f"--set {text}", ""))
    explicit = {"seed": seed, "n_timesteps": n_timesteps, "n_envs": n_envs, "device": device}
    merged.update({k: v for k, v in explicit.items() if v is not None})
    env_raw, env_source = read_env_entry(env_id, envs_dir)
    if "env" in merged:
        env_source = f"{env_source} + {source}"
        env = EnvConfig.from_dict(deep_merge(env_raw, merged["env"]), env_source)
    else:
        env = EnvConfig.from_dict(env_raw, env_source)
    return _assemble(algo, merged, env, source, env_id if env_id in data else "default")
