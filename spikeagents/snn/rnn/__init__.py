r"""Spiking recurrent networks: LSTM, GRU and vanilla RNN cells whose gates spike, and their stacks.

Every gate is a Heaviside step :math:`\Theta` on the forward pass and the derivative of a smooth
surrogate on the backward pass (:mod:`spikeagents.snn.surrogate`; default ``Erf(alpha=2)``, the
docs' choice). ``surrogate_function1`` drives the gating spikes (i, f, o; r, z) and
``surrogate_function2`` the candidate (g; n); ``None`` reuses the first. A surrogate made with
``spiking=False`` turns a cell into its smooth (non-spiking) twin, which the tests use to check the
equations. Spiking LSTM (Lotfi Rezaabad & Vishwanath 2020, arXiv 2007.04779):

.. math::

    i_t = \Theta(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}), \quad
    f_t = \Theta(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}),

    g_t = \Theta(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}), \quad
    o_t = \Theta(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}),

    c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot c_t

(the docs print :math:`h_t = o_t \odot c'_{t-1}`; the cell's own equations and code use
:math:`c_t`, as here). So :math:`c_t` counts the spikes let in since the last reset by
:math:`f_t = 0` and :math:`h_t` is that count gated by :math:`o_t`. Spiking GRU and vanilla RNN:

.. math::

    r_t = \Theta(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
    z_t = \Theta(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}),

    n_t = \Theta(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})), \quad
    h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1};

    h_t = \Theta(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \quad \text{(vanilla)}

Weights and biases start as :math:`U(-\sqrt{k}, \sqrt{k})` with :math:`k = 1 / \text{hidden}`.

Shapes: a cell maps ``x [B, F]`` (and its state) to the next state ``[B, H]``; a stack maps
``x [T, B, F]`` to ``output [T, B, D H]`` (D = 2 when bidirectional) and the final states
``[L D, B, H]`` (a tuple ``(h, c)`` for the LSTM), layer-major as in ``torch.nn.LSTM``.
Variable-length batches: pass ``mask [T, B]`` (True at real steps, e.g. from
:func:`padded_sequence_mask`); a padded step leaves the state as it was and outputs zeros, so the
forward direction ends at each sequence's last step and the reverse direction starts there.

Example::

    >>> import torch
    >>> lstm = SpikingLSTM(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    >>> x = torch.nn.utils.rnn.pad_sequence([torch.rand(5, 3), torch.rand(2, 3)])  # [5, 2, 3]
    >>> y, (h, c) = lstm(x, mask=padded_sequence_mask(torch.tensor([5, 2])))
    >>> tuple(y.shape), tuple(h.shape)
    ((5, 2, 8), (4, 2, 4))
    >>> bool((y[2:, 1] == 0).all())                  # padded steps output nothing
    True
"""

from __future__ import annotations

import torch  # noqa: F401  (the docstring example runs in this namespace)

from spikeagents.snn.rnn.cells import (
    SpikingGRUCell,
    SpikingLSTMCell,
    SpikingRNNCellBase,
    SpikingVanillaRNNCell,
)
from spikeagents.snn.rnn.sequences import pad_sequence_collate, padded_sequence_mask
from spikeagents.snn.rnn.stacks import (
    SpikingGRU,
    SpikingLSTM,
    SpikingRNNBase,
    SpikingVanillaRNN,
    bidirectional_rnn_cell_forward,
)

__all__ = [
    "SpikingRNNCellBase",
    "SpikingLSTMCell",
    "SpikingGRUCell",
    "SpikingVanillaRNNCell",
    "SpikingRNNBase",
    "SpikingLSTM",
    "SpikingGRU",
    "SpikingVanillaRNN",
    "bidirectional_rnn_cell_forward",
    "pad_sequence_collate",
    "padded_sequence_mask",
]
