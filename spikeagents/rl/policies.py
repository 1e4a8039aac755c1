"""Spiking policies for Stable-Baselines3: ``PPO(SpikingActorCriticPolicy, env)``.

Both policies are SB3's own classes configured through public extension points only: the spiking
network is a features extractor (:class:`~spikeagents.rl.networks.SpikingExtractor`) and
``net_arch=[]``, so SB3's head Linear (``action_net``, ``value_net``, the Q-network's Linear) is
the Linear of a non-spiking LIF readout and the outputs are membrane potentials.

Every spiking setting is a constructor argument, and so a ``policy_kwargs`` key::

    PPO(SpikingActorCriticPolicy, "CartPole-v1",
        policy_kwargs=dict(T=8, hidden_sizes=[64], neuron="if", surrogate="atan"))

Initialisation (why the spiking layers fire from the start): SB3's orthogonal re-init
(``ortho_init=True``) would rescale the spiking layers' weights to a gain chosen for tanh MLPs,
which is unrelated to the firing threshold. These policies default to ``ortho_init=False``: the
spiking layers keep PyTorch's default init scaled by ``init_gain`` (so that typical input currents
reach the threshold within T steps), and only the heads get SB3's treatment (orthogonal, gain 0.01
for the action head and 1 for the value head), which keeps the initial policy near uniform.
``ortho_init=True`` is still accepted and applies SB3's re-init to everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gymnasium import spaces
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import Schedule
from stable_baselines3.dqn.policies import DQNPolicy
from torch import nn

from spikeagents.rl.networks import SpikingExtractor

__all__ = ["SpikingActorCriticPolicy", "SpikingDQNPolicy", "SPIKING_KEYS"]

#: the spiking settings every spiking policy accepts (and the YAML ``policy:`` section holds)
SPIKING_KEYS = (
    "T",
    "hidden_sizes",
    "neuron",
    "tau",
    "v_threshold",
    "v_reset",
    "detach_reset",
    "surrogate",
    "surrogate_alpha",
    "encoder",
    "pop_size",
    "obs_low",
    "obs_high",
    "init_gain",
    "backend",
    "readout",
    "readout_tau",
)


def _spiking_kwargs(arguments: dict[str, Any]) -> dict[str, Any]:
    """The spiking settings among a constructor's arguments, as plain data."""
    out = {key: arguments[key] for key in SPIKING_KEYS}
    out["hidden_sizes"] = list(out["hidden_sizes"])
    return out


class _SpikingSettings:
    """Collects the spiking keyword arguments into the extractor's kwargs (shared logic)."""

    @staticmethod
    def split(
        spiking: dict[str, Any], kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        extra = dict(kwargs.pop("features_extractor_kwargs", None) or {})
        kwargs.setdefault("features_extractor_class", SpikingExtractor)
        if kwargs["features_extractor_class"] is SpikingExtractor:
            fe_kwargs = {**spiking, **extra}
        else:
            fe_kwargs = extra
        return fe_kwargs, extra


class SpikingActorCriticPolicy(ActorCriticPolicy):
    """Actor-critic policy (PPO, A2C) with spiking actor and critic networks.

    Discrete, MultiDiscrete and Box action spaces: the readout membrane potentials are the
    logits, or for Box the Gaussian mean (log-std stays a parameter; gSDE works too). Separate
    actor and critic bodies by default (``share_features_extractor=False``).

    :param T: simulation steps per call. :param hidden_sizes: spiking layer widths.
    :param neuron: ``"if"``, ``"lif"``, ``"plif"``. :param tau: LIF time constant.
    :param v_threshold: threshold. :param v_reset: hard reset value or ``None`` (soft).
    :param detach_reset: detach the reset. :param surrogate: surrogate name.
    :param surrogate_alpha: its alpha. :param encoder: ``"direct"``, ``"poisson"``,
        ``"population"``. :param pop_size: population size per dimension.
    :param obs_low: population range low. :param obs_high: population range high.
    :param init_gain: spiking layers' weight scale. :param backend: neuron kernel backend.
    :param readout: ``"last"`` or ``"mean"``. :param readout_tau: readout time constant.
    Other arguments are SB3's :class:`ActorCriticPolicy` ones.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        T: int = 16,
        hidden_sizes: Sequence[int] = (64,),
        neuron: str = "if",
        tau: float = 2.0,
        v_threshold: float = 1.0,
        v_reset: float | None = None,
        detach_reset: bool = True,
        surrogate: str = "atan",
        surrogate_alpha: float | None = None,
        encoder: str = "direct",
        pop_size: int = 10,
        obs_low: float | Sequence[float] = -1.0,
        obs_high: float | Sequence[float] = 1.0,
        init_gain: float = 2.0,
        backend: str = "auto",
        readout: str = "mean",
        readout_tau: float = 2.0,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        ortho_init: bool = False,
        share_features_extractor: bool = False,
        **kwargs: Any,
    ) -> None:
        self.spiking_kwargs: dict[str, Any] = _spiking_kwargs(locals())
        fe_kwargs, self._extra_fe_kwargs = _SpikingSettings.split(self.spiking_kwargs, kwargs)
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            ortho_init=ortho_init,
            share_features_extractor=share_features_extractor,
            features_extractor_kwargs=fe_kwargs,
            **kwargs,
        )
        if not ortho_init:
            # SB3's head initialisation only (see the module docstring)
            self.init_weights(self.action_net, gain=0.01)
            self.init_weights(self.value_net, gain=1.0)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.spiking_kwargs)
        data["features_extractor_kwargs"] = self._extra_fe_kwargs
        return data


class SpikingDQNPolicy(DQNPolicy):
    """DQN policy whose Q-network (and its target) is a spiking network with a membrane readout.

    The Q-values are the readout membrane potentials. Network state is never part of
    ``state_dict``, so target syncs work at any batch size. Arguments as
    :class:`SpikingActorCriticPolicy` (defaults: 2 x 256 hidden, as the RL Zoo's CartPole DQN),
    plus SB3's :class:`DQNPolicy` ones.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        T: int = 16,
        hidden_sizes: Sequence[int] = (256, 256),
        neuron: str = "if",
        tau: float = 2.0,
        v_threshold: float = 1.0,
        v_reset: float | None = None,
        detach_reset: bool = True,
        surrogate: str = "atan",
        surrogate_alpha: float | None = None,
        encoder: str = "direct",
        pop_size: int = 10,
        obs_low: float | Sequence[float] = -1.0,
        obs_high: float | Sequence[float] = 1.0,
        init_gain: float = 2.0,
        backend: str = "auto",
        readout: str = "mean",
        readout_tau: float = 2.0,
        net_arch: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        self.spiking_kwargs: dict[str, Any] = _spiking_kwargs(locals())
        fe_kwargs, self._extra_fe_kwargs = _SpikingSettings.split(self.spiking_kwargs, kwargs)
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            features_extractor_kwargs=fe_kwargs,
            **kwargs,
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.spiking_kwargs)
        data["features_extractor_kwargs"] = self._extra_fe_kwargs
        return data


def spiking_modules(policy: nn.Module) -> dict[str, nn.Module]:
    """The spiking bodies inside a policy, by attribute path (for diagnostics)."""
    from spikeagents.rl.networks import SpikingBody

    seen: dict[int, str] = {}
    out: dict[str, nn.Module] = {}
    for name, module in policy.named_modules():
        if isinstance(module, SpikingBody) and id(module) not in seen:
            seen[id(module)] = name
            out[name] = module
    return out
