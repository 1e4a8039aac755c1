"""ANN-to-SNN conversion: the SNN's scores approach the ANN's as T grows, the per-step accuracy
settles at the ANN's, the normalisation is exact in the ANN domain, and the result is a normal
multi-step module."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikeagents.convert import GatedMaxPool2d, IFLayer, SpikingModel, ann_accuracy, convert
from spikeagents.convert.graph import ConversionError
from spikeagents.snn import functional
from spikeagents.snn.monitor import Monitor
from spikeagents.snn.neuron import IFNode


class ResidualNet(nn.Module):
    """Max pooling (one module called twice), a residual addition, functional ReLU, a view."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU())
        self.pool = nn.MaxPool2d(2)
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 2 * 2, 10)

    def forward(self, x):
        x = self.pool(self.stem(x))
        x = F.relu(self.conv2(F.relu(self.conv1(x))) + x)
        x = self.pool(x)
        return self.fc(x.view(x.size(0), -1))


class SumOfSpikes(nn.Module):
    """Adds two ReLU outputs whose scales differ: one operand is rescaled in the SNN."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(64, 16), nn.Linear(16, 16), nn.Linear(16, 10)

    def forward(self, x):
        a = torch.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc3(a + self.fc2(a).relu())


def _analog(snn: SpikingModel) -> nn.Module:
    """The converted graph with IF -> ReLU(x)/theta and gated -> plain max pool (the rate limit)."""

    class Rate(nn.Module):
        def __init__(self, theta: float) -> None:
            super().__init__()
            self.theta = theta

        def forward(self, x):
            return F.relu(x) / self.theta

    import copy

    net = copy.deepcopy(snn.net)
    for name, m in list(net.named_modules()):
        parent, _, attr = name.rpartition(".")
        if isinstance(m, IFLayer):
            replacement: nn.Module = Rate(float(m.threshold))
        elif isinstance(m, GatedMaxPool2d):
            replacement = nn.MaxPool2d(m.kernel_size, m.stride, m.padding)
        else:
            continue
        setattr(net.get_submodule(parent) if parent else net, attr, replacement)
    return net


@pytest.mark.parametrize("cls", [ResidualNet, SumOfSpikes])
def test_normalisation_is_exact_in_the_ann_domain(cls):
    torch.manual_seed(0)
    model = cls().eval()
    x = torch.rand(16, 1, 8, 8)
    snn = convert(model, x, norm="max")
    thresholds = [float(m.threshold) for m in snn.if_layers().values()]
    assert len(thresholds) == (3 if cls is ResidualNet else 2)
    if cls is ResidualNet:  # the ReLU after the addition sees the skip's scale: theta != 1
        assert sum(abs(t - 1.0) > 1e-3 for t in thresholds) == 1
    else:  # both operands already spike at their own scales: one is multiplied
        assert "mul = " in snn.net.code
    with torch.no_grad():
        analog = _analog(snn)(x) * snn.output_scale
    torch.testing.assert_close(analog, model(x), atol=1e-4, rtol=1e-4)


def test_scores_approach_the_anns_as_T_grows(trained_toy, digits8):
    _, _, x, _ = digits8
    x = x[:100]
    snn = convert(trained_toy, digits8[0][:256], T=8)
    with torch.no_grad():
        ann = trained_toy(x)
    scores = snn.simulate(x, T=512, chunk=64)  # [T, B, C]
    assert scores.shape == (512, 100, 10)
    err = [float((scores[t - 1] - ann).abs().mean()) for t in (8, 64, 512)]
    assert err[0] > err[1] > err[2], err
    assert err[2] < 0.02 * float(ann.abs().mean()) + 0.01, err
    agree = (scores[-1].argmax(-1) == ann.argmax(-1)).float().mean()
    assert agree >= 0.98


def test_accuracy_per_step_settles_at_the_anns(trained_toy, digits8):
    x_tr, _, x, y = digits8
    batches = [(x[i : i + 200], y[i : i + 200]) for i in range(0, len(x), 200)]
    ann_acc = ann_accuracy(trained_toy, batches)
    snn = convert(trained_toy, x_tr[:256], T=256)
    report = snn.evaluate(batches)
    acc = report.accuracy
    assert acc.shape == (256,) and report.n_samples == len(x)
    # monotone in the limit: the accuracy over doubling windows of steps never drops by more
    # than one sample's worth, and it ends within one point of the ANN
    windows = [acc[t // 2 : t].mean() for t in (16, 32, 64, 128, 256)]
    assert all(b >= a - 1.0 / len(x) for a, b in zip(windows, windows[1:], strict=False)), windows
    assert acc[0] < acc[-1]
    assert abs(acc[-1] - ann_acc) <= 0.01, (acc[-1], ann_acc)
    assert report.min_steps(ann_acc - 0.01) is not None
    rates = report.firing_rates
    assert list(rates) == ["2", "7"]  # named after the ANN's ReLU modules
    assert all(0.0 < r < 1.0 for r in rates.values())


def test_residual_max_pool_network_converges():
    torch.manual_seed(0)
    model = ResidualNet().eval()
    x = torch.rand(32, 1, 8, 8)
    snn = convert(model, x)
    with torch.no_grad():
        ann = model(x)
    scores = snn.simulate(x, T=400, chunk=100)
    assert (scores[-1].argmax(-1) == ann.argmax(-1)).float().mean() >= 0.9
    assert (scores[-1] - ann).abs().mean() < 0.1 * ann.abs().mean()


def test_it_is_a_normal_multi_step_module(trained_toy, digits8):
    x = digits8[2][:8]
    snn = convert(trained_toy, digits8[0][:64], T=20)
    nodes = [m for m in snn.modules() if isinstance(m, IFNode)]
    assert nodes and all(n.step_mode == "m" and n.v_reset is None for n in nodes)
    whole = snn.simulate(x, T=20, chunk=20)
    chunked = snn.simulate(x, T=20, chunk=3)  # state carries across calls
    torch.testing.assert_close(chunked, whole)
    with torch.no_grad():
        direct = snn(x.expand(20, *x.shape))  # forward: [T, B, ...] -> [T, B, C]
    functional.reset_net(snn)
    torch.testing.assert_close(direct, whole)
    functional.set_backend(snn, "torch")  # the reference loop gives the same spikes
    torch.testing.assert_close(snn.simulate(x, T=20), whole, atol=1e-5, rtol=1e-5)
    keys = set(snn.state_dict())
    assert {"output_scale", "net.2.threshold", "net.6.weight"} <= keys
    rebuilt = convert(trained_toy, None, T=20, scales=snn.scales)
    rebuilt.load_state_dict(snn.state_dict())
    torch.testing.assert_close(rebuilt.simulate(x, T=20), whole, atol=1e-5, rtol=1e-5)


def test_poisson_input_and_spike_readout(trained_toy, digits8):
    x_tr, _, x, y = digits8
    model = nn.Sequential(*trained_toy, nn.ReLU()).eval()  # ends with a ReLU: spikes out
    batches = [(x[:200], y[:200])]
    ann_acc = ann_accuracy(model, batches)
    snn = convert(model, x_tr[:256], T=128, encoder="poisson", readout="spikes")
    acc = snn.evaluate(batches).accuracy
    assert acc[-1] >= ann_acc - 0.1
    again = snn.evaluate(batches).accuracy
    assert (acc == again).all()  # seeded
    try:
        convert(trained_toy, x_tr[:16], readout="spikes")
    except ConversionError as err:
        assert "ends with a ReLU" in str(err)
    else:
        raise AssertionError("readout='spikes' without a final ReLU must fail")


def test_gated_max_pool_passes_the_most_active_unit():
    pool = GatedMaxPool2d(nn.MaxPool2d(2))
    T = 12
    a = torch.ones(T)  # fires every step
    b = torch.tensor([1.0, 0.0] * (T // 2))  # every other step, out of phase with nothing
    c = torch.tensor([0.0, 1.0] * (T // 2))
    x = torch.stack([a * 0, b, c, a * 0], -1).view(T, 1, 1, 2, 2)  # one 2x2 window
    pool.steps = T
    out = pool(x.flatten(0, 1)).view(T)
    assert out.sum() == T // 2  # the rate of the best unit (0.5), not of "any spike" (1.0)
    plain = F.max_pool2d(x.flatten(0, 1), 2).view(T)
    assert plain.sum() == T


def test_if_layer_starts_at_half_the_threshold():
    layer = IFLayer(threshold=2.0, v_init=0.5)
    layer.steps = 4
    with Monitor(layer, layer_types=(IFLayer,)) as monitor:
        out = layer(torch.full((4, 1), 0.5))  # v: 1.0 + 0.5 per step, threshold 2
    assert out.flatten().tolist() == [0.0, 1.0, 0.0, 0.0]
    assert monitor.firing_rate("") == 0.25
