"""Spiking policies for Stable-Baselines3: ``PPO(SpikingActorCriticPolicy, env)``.

Both policies are SB3's own classes configured through public extension points only: the spiking
network is a features extractor (:class:`~spikeagents.rl.networks.SpikingExtractor`) and
``net_arch=[]``, so SB3's head Linear (``action_net``, ``value_net``, the Q-network's Linear) is
the Linear of a non-spiking LIF readout and the outputs are membrane potentials.

Every spiking setting (a field of :class:`~spikeagents.rl.settings.SpikingSettings`: ``T``,
``hidden_sizes``, ``neuron``, ``tau``, ``v_threshold``, ``v_reset``, ``detach_reset``,
``surrogate``, ``surrogate_alpha``, ``encoder``, ``pop_size``, ``obs_low``, ``obs_high``,
``init_gain``, ``backend``, ``readout``, ``readout_tau``) is a keyword argument of both policies,
and so a ``policy_kwargs`` key::

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

from typing import Any

from gymnasium import spaces
from sb3_contrib.common.recurrent.policies import RecurrentActorCriticPolicy
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.type_aliases import Schedule
from stable_baselines3.dqn.policies import DQNPolicy
from torch import nn

from spikeagents.rl.networks import SpikingBody, SpikingExtractor
from spikeagents.rl.recurrent import SpikingRecurrentLayer
from spikeagents.rl.settings import SPIKING_KEYS, SpikingSettings

__all__ = [
    "SpikingActorCriticPolicy",
    "SpikingDQNPolicy",
    "SpikingRecurrentPolicy",
    "SPIKING_KEYS",
    "spiking_modules",
]


class _SpikingPolicy:
    """What both spiking policies share: the settings become the features extractor's kwargs
    (unless another extractor class is given), and they are saved with the policy."""

    spiking_kwargs: dict[str, Any]
    _extra_fe_kwargs: dict[str, Any]

    def _take_settings(self, kwargs: dict[str, Any], **defaults: Any) -> dict[str, Any]:
        """Split ``kwargs``; return SB3's share with the extractor set up."""
        settings, rest = SpikingSettings.split(kwargs, **defaults)
        settings.check_membrane_decoder(type(self).__name__)
        self.spiking_kwargs = settings.to_kwargs()
        extra = dict(rest.pop("features_extractor_kwargs", None) or {})
        self._extra_fe_kwargs = extra
        rest.setdefault("features_extractor_class", SpikingExtractor)
        if rest["features_extractor_class"] is SpikingExtractor:
            extra = {**self.spiking_kwargs, **extra}
        rest["features_extractor_kwargs"] = extra
        return rest

    def _with_settings(self, data: dict[str, Any]) -> dict[str, Any]:
        """``_get_constructor_parameters`` plus the spiking settings (saved with the model)."""
        data.update(self.spiking_kwargs)
        data["features_extractor_kwargs"] = self._extra_fe_kwargs
        return data


class SpikingActorCriticPolicy(_SpikingPolicy, ActorCriticPolicy):
    """Actor-critic policy (PPO, A2C) with spiking actor and critic networks.

    Discrete, MultiDiscrete and Box action spaces: the readout membrane potentials are the
    logits, or for Box the Gaussian mean (log-std stays a parameter; gSDE works too). Separate
    actor and critic bodies by default (``share_features_extractor=False``).

    :param kwargs: the spiking settings (:class:`~spikeagents.rl.settings.SpikingSettings`
        fields, its defaults) and SB3's :class:`ActorCriticPolicy` arguments.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        ortho_init: bool = False,
        share_features_extractor: bool = False,
        **kwargs: Any,
    ) -> None:
        sb3_kwargs = self._take_settings(kwargs)
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            ortho_init=ortho_init,
            share_features_extractor=share_features_extractor,
            **sb3_kwargs,
        )
        if not ortho_init:
            # SB3's head initialisation only (see the module docstring)
            self.init_weights(self.action_net, gain=0.01)
            self.init_weights(self.value_net, gain=1.0)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return self._with_settings(super()._get_constructor_parameters())


class SpikingDQNPolicy(_SpikingPolicy, DQNPolicy):
    """DQN policy whose Q-network (and its target) is a spiking network with a membrane readout.

    The Q-values are the readout membrane potentials. Network state is never part of
    ``state_dict``, so target syncs work at any batch size.

    :param kwargs: the spiking settings (:class:`~spikeagents.rl.settings.SpikingSettings`
        fields; here ``hidden_sizes`` defaults to 2 x 256, as the RL Zoo's CartPole DQN) and
        SB3's :class:`DQNPolicy` arguments.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Discrete,
        lr_schedule: Schedule,
        net_arch: list[int] | None = None,
        **kwargs: Any,
    ) -> None:
        sb3_kwargs = self._take_settings(kwargs, hidden_sizes=(256, 256))
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            **sb3_kwargs,
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return self._with_settings(super()._get_constructor_parameters())


class SpikingRecurrentPolicy(RecurrentActorCriticPolicy):
    """A stateful spiking actor-critic policy for sb3-contrib's ``RecurrentPPO``: the membrane
    potentials of its spiking layer carry over from one environment step to the next.

    sb3-contrib's LSTMs are replaced by :class:`~spikeagents.rl.recurrent.SpikingRecurrentLayer`
    (one for the actor, one for the critic), so the state lives in ``RecurrentPPO``'s state tuple
    (``model.predict(obs, state=state, episode_start=starts)``), is reset where ``episode_start``
    is set, and is trained through time over ``RecurrentPPO``'s padded, masked sequences. The
    heads (``net_arch=[]``) are the Linear of a non-spiking LIF readout, as in
    :class:`SpikingActorCriticPolicy`.

    :param recurrent_synapses: also feed the spiking layer its own previous spikes through a
        learned weight (besides the memory of the membrane).
    :param kwargs: the spiking settings (:class:`~spikeagents.rl.settings.SpikingSettings`
        fields; ``hidden_sizes`` holds one width, ``encoder`` is ``direct``) and sb3-contrib's
        :class:`RecurrentActorCriticPolicy` arguments (``enable_critic_lstm``, ``shared_lstm``,
        ...; ``lstm_hidden_size`` and ``n_lstm_layers`` follow from the settings).
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Space,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        ortho_init: bool = False,
        recurrent_synapses: bool = False,
        **kwargs: Any,
    ) -> None:
        settings, rest = SpikingSettings.split(kwargs)
        settings.check_membrane_decoder(type(self).__name__)
        for derived in ("lstm_hidden_size", "n_lstm_layers", "lstm_kwargs"):
            rest.pop(derived, None)  # saved by sb3-contrib; they follow from the settings
        self.spiking_kwargs: dict[str, Any] = settings.to_kwargs()
        self.recurrent_synapses = bool(recurrent_synapses)
        super().__init__(
            observation_space,
            action_space,
            lr_schedule,
            net_arch=[] if net_arch is None else net_arch,
            ortho_init=ortho_init,
            lstm_hidden_size=settings.hidden_sizes[0] if settings.hidden_sizes else 1,
            n_lstm_layers=1,
            **rest,
        )
        self.lstm_actor = SpikingRecurrentLayer(self.features_dim, settings, recurrent_synapses)
        if self.lstm_critic is not None:
            self.lstm_critic = SpikingRecurrentLayer(
                self.features_dim, settings, recurrent_synapses
            )
        if not ortho_init:  # SB3's head initialisation only, as SpikingActorCriticPolicy's
            self.init_weights(self.action_net, gain=0.01)
            self.init_weights(self.value_net, gain=1.0)
        # the optimiser must see the spiking layers' parameters, not the LSTMs' they replace
        self.optimizer = self.optimizer_class(
            self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs
        )

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(self.spiking_kwargs)
        data["recurrent_synapses"] = self.recurrent_synapses
        return data


def spiking_modules(policy: nn.Module) -> dict[str, nn.Module]:
    """The spiking bodies and stateful spiking layers inside a policy by attribute path, each
    once (SB3 exposes the actor's extractor under two names), for diagnostics; the target
    networks of SAC, TD3 and DDPG (copies of the online ones) are left out."""
    seen: set[int] = set()
    out: dict[str, nn.Module] = {}
    for name, module in policy.named_modules():
        kinds = (SpikingBody, SpikingRecurrentLayer)
        if "_target" in name:
            continue
        if isinstance(module, kinds) and id(module) not in seen:
            seen.add(id(module))
            out[name] = module
    return out
