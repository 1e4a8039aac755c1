r"""A spiking layer whose membrane persists across environment steps: the memory of the stateful
policies (:class:`~spikeagents.rl.policies.SpikingRecurrentPolicy`, for sb3-contrib's
``RecurrentPPO``).

At environment step :math:`l` the layer receives the observation features :math:`x_l` and runs
``T`` inner steps of spiking neurons, starting from the membrane potential it ended the previous
environment step with:

.. math::

    I_l = W_{in} x_l + b, \qquad
    X_{l,k} = I_l + W_{rec} S_{l,k-1} \;\; (\text{recurrent synapses; else } X_{l,k} = I_l),

    (S_{l,k}, V_{l,k}) = \mathrm{neuron}(V_{l,k-1}, X_{l,k}), \quad k = 0..T-1, \qquad
    V_{l,-1} = V_{l-1,T-1}, \quad S_{l,-1} = S_{l-1,T-1}

and outputs the readout trace :math:`z_l = \sum_k w_k S_{l,k}` (the weights of the non-spiking LIF
readout, :func:`spikeagents.snn.dynamics.readout_weights`); the policy's head Linear on
:math:`z_l` is that readout, so logits and values are membrane potentials, as in the stateless
policies. The state passed between environment steps is the pair
:math:`(V - V_{rest}, S)` at the last inner step, each ``[1, B, H]``: zero is a neuron at rest
that has not fired, which is what sb3-contrib's ``episode_start`` masking (multiplying the state
by 0) must mean.

The layer has the call contract sb3-contrib expects of its LSTM
(``input_size``, ``hidden_size``, ``num_layers``;
``forward(x [L, B, F], (h, c)) -> (out [L, B, H], (h, c))``), so ``RecurrentPPO``'s rollout
buffer, sequence padding and masking, and backpropagation through time over its sequences
apply unchanged. With feed-forward synapses the L environment steps of T inner steps are one
sequence of ``L T`` steps through the fused kernel.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from spikeagents.rl.networks import ReadoutTrace
from spikeagents.rl.settings import SpikingSettings
from spikeagents.schema import ConfigError

__all__ = ["SpikingRecurrentLayer"]


class SpikingRecurrentLayer(nn.Module):
    """Observation features -> one layer of spiking neurons with a persistent membrane.

    Shapes: ``x [L, B, F]`` and the state ``(u, s)``, each ``[1, B, H]`` (``u`` the membrane
    potential above rest, ``s`` the last spikes) -> ``(z [L, B, H], (u', s'))``.

    :param input_size: F. :param settings: the spiking settings (``hidden_sizes`` must hold one
        width H; ``T`` inner steps per environment step, T = 1 allowed).
    :param recurrent_synapses: feed each inner step the layer's own previous spikes through a
        learned ``H x H`` weight as well.
    """

    def __init__(
        self, input_size: int, settings: SpikingSettings, recurrent_synapses: bool = False
    ) -> None:
        super().__init__()
        if len(settings.hidden_sizes) != 1:
            raise ConfigError(
                "a stateful spiking policy has one spiking layer; give hidden_sizes one width, "
                f"got {list(settings.hidden_sizes)}",
                key="hidden_sizes",
            )
        if settings.encoder != "direct":
            raise ConfigError(
                f"stateful spiking policies take the observation as a direct input current; "
                f"encoder {settings.encoder!r} is for the stateless policies",
                key="encoder",
            )
        hidden = settings.hidden_sizes[0]
        self.input_size, self.hidden_size, self.num_layers = int(input_size), hidden, 1
        self.T = settings.T
        self.linear = settings.make_linear(input_size, hidden)
        self.recurrent = nn.Linear(hidden, hidden, bias=False) if recurrent_synapses else None
        self.node = settings.make_neuron()
        self.trace = ReadoutTrace(self.T, settings.readout_tau, settings.readout)

    def forward(self, x_seq: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple]:
        """``x_seq [L, B, F]``, ``state (u, s)`` each ``[1, B, H]`` -> ``(z [L, B, H], state)``."""
        L, B = x_seq.shape[0], x_seq.shape[1]
        u, s = state
        current = self.linear(x_seq)  # [L, B, H]
        rest = self.node.v_rest
        self.node.reset()
        self.node.v = u[0] + rest
        if self.recurrent is None:
            if L == 1:  # one environment step: a constant input for T steps (rollouts)
                spikes = self.node(current[0], steps=self.T)
            else:  # L environment steps of T inner steps: one sequence of L T steps
                spikes = self.node(current.repeat_interleave(self.T, dim=0))
            last = spikes[-1]
        else:
            steps, last = [], s[0]
            for current_l in current:
                for _ in range(self.T):
                    last = self.node((current_l + self.recurrent(last)).unsqueeze(0))[0]
                    steps.append(last)
            spikes = torch.stack(steps)
        per_step = spikes.view(L, self.T, B, self.hidden_size).transpose(0, 1)  # [T, L, B, H]
        z = self.trace(per_step.reshape(self.T, L * B, self.hidden_size)).view(L, B, -1)
        v = self.node.v
        self.node.reset()
        return z, ((v - rest).unsqueeze(0), last.unsqueeze(0))

    def extra_repr(self) -> str:
        recurrent = self.recurrent is not None
        return f"{self.input_size}, {self.hidden_size}, T={self.T}, recurrent_synapses={recurrent}"
