"""The Tempotron: its PSP kernel, its membrane potential, the Gaussian tuning spike times, the
docs' loss and its gradient, learning, and the ``mnist-tempotron`` task."""

from __future__ import annotations

import math

import pytest
import torch

from spikeagents.tempotron import (
    Tempotron,
    encode_images,
    psp_kernel,
    psp_peak_time,
    tempotron_loss,
)


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("tau, tau_s", [(15.0, 3.75), (10.0, 2.0), (5.0, 4.0)])
def test_psp_kernel_peaks_at_one_at_the_analytic_time(tau, tau_s):
    t_peak = psp_peak_time(tau, tau_s)
    assert t_peak == pytest.approx(tau * tau_s * math.log(tau / tau_s) / (tau - tau_s))
    assert float(psp_kernel(torch.tensor(t_peak, dtype=torch.float64), tau, tau_s)) == (
        pytest.approx(1.0, abs=1e-12)
    )
    grid = torch.linspace(0, 10 * tau, 100_001, dtype=torch.float64)
    k = psp_kernel(grid, tau, tau_s)
    assert float(k.max()) <= 1.0 + 1e-12
    assert float(grid[k.argmax()]) == pytest.approx(t_peak, abs=1e-3)
    assert psp_kernel(torch.tensor([-3.0, -0.1, 0.0]), tau, tau_s).tolist() == [0.0, 0.0, 0.0]


def _hand_voltage(w, times, T, tau, tau_s, v_rest):
    t_peak = tau * tau_s * math.log(tau / tau_s) / (tau - tau_s)
    v0 = 1 / (math.exp(-t_peak / tau) - math.exp(-t_peak / tau_s))
    out = []
    for o in range(len(w)):
        row = []
        for t in range(T):
            v = v_rest
            for i, ti in enumerate(times):
                if ti >= 0 and t >= ti:
                    v += w[o][i] * v0 * (math.exp(-(t - ti) / tau) - math.exp(-(t - ti) / tau_s))
            row.append(v)
        out.append(row)
    return out


@pytest.mark.parametrize("times", [[0.0, 3.0, -1.0, 7.0, 12.0], [0.5, 3.25, -1.0, 7.0, 2.0]])
def test_voltage_equals_the_hand_computed_sum(times):
    neuron = Tempotron(5, 2, T=10, tau=8.0, tau_s=2.0, v_rest=-0.25)
    w = [[0.5, -1.0, 2.0, 0.25, 3.0], [1.0, 1.0, 1.0, -0.5, 0.0]]
    with torch.no_grad():
        neuron.weight.copy_(torch.tensor(w))
    v = neuron.voltage(torch.tensor([times]))  # integer times: grouped path; else dense
    expected = torch.tensor([_hand_voltage(w, times, 10, 8.0, 2.0, -0.25)])
    torch.testing.assert_close(v, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(neuron(torch.tensor([times])), expected.amax(-1), atol=1e-5, rtol=0)


def test_fast_and_dense_paths_agree_with_gradients():
    torch.manual_seed(0)
    neuron = Tempotron(40, 3, T=12)
    times = torch.randint(-1, 14, (6, 40)).float()
    fast = neuron.voltage(times)
    dense = torch.einsum("bit,oi->bot", neuron.psp(times), neuron.weight) + neuron.v_rest
    torch.testing.assert_close(fast, dense, atol=1e-5, rtol=1e-5)
    (g_fast,) = torch.autograd.grad(fast.amax(-1).sum(), neuron.weight)
    (g_dense,) = torch.autograd.grad(dense.amax(-1).sum(), neuron.weight)
    torch.testing.assert_close(g_fast, g_dense, atol=1e-5, rtol=1e-5)


def test_spike_times_are_the_first_threshold_crossing():
    neuron = Tempotron(1, 2, T=20, v_threshold=0.5)
    with torch.no_grad():
        neuron.weight.copy_(torch.tensor([[1.0], [0.1]]))
    out = neuron.spike_times(torch.tensor([[2.0]]))
    v = neuron.voltage(torch.tensor([[2.0]]))[0, 0]
    first = int(torch.nonzero(v >= 0.5)[0])
    assert out.tolist() == [[float(first), -1.0]]  # the weak neuron never reaches threshold


def test_encoder_times_follow_the_formula():
    m, T, beta = 5, 10, 1.5
    x = torch.tensor([[[[0.0, 0.3], [0.77, 1.0]]]])  # [B=1, 1, 2, 2]
    times = encode_images(x, m, T, beta)
    assert times.shape == (1, 4 * m)
    width = 1.0 / (m - 2)
    for p, value in enumerate(x.flatten().tolist()):
        for j in range(1, m + 1):
            mu = (2 * j - 3) / 2 * width
            g = math.exp(-((value - mu) ** 2) / (2 * (width / beta) ** 2))
            t = round((1 - g) * T)
            assert times[0, p * m + j - 1].item() == (-1 if t >= T else t)


def test_loss_counts_only_misclassified_neurons_and_has_the_docs_gradient():
    v_max = torch.tensor([[1.5, 0.2, 0.9], [0.4, 1.2, 1.1]])
    labels = torch.tensor([0, 2])
    # sample 0: class 0 fires (right), 1 and 2 silent (right): no loss
    # sample 1: class 2 fires (right), class 1 fires but should not: (1.2 - 1)^2
    loss = tempotron_loss(v_max, labels, v_threshold=1.0)
    assert float(loss) == pytest.approx(0.2**2 / 2)
    # gradient of E = (V_th - V(t_max))^2 for a silent target neuron:
    # dE/dw_i = -2 (V_th - V(t_max)) * sum_{t_i < t_max} K(t_max - t_i)
    neuron = Tempotron(3, 1, T=15)
    with torch.no_grad():
        neuron.weight.fill_(0.1)
    times = torch.tensor([[1.0, 4.0, 13.0]])
    v = neuron.voltage(times)[0, 0]
    t_max = int(v.argmax())
    loss = tempotron_loss(neuron(times), torch.tensor([0]), v_threshold=1.0)
    loss.backward()
    k = psp_kernel(t_max - times[0], neuron.tau, neuron.tau_s)
    expected = -2 * (1.0 - float(v.detach().max())) * k
    torch.testing.assert_close(neuron.weight.grad[0], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.slow
def test_the_tempotron_learns_a_separable_problem():
    """Two classes of spike-time patterns (jittered templates): learnt to 100% in seconds."""
    g = torch.Generator().manual_seed(0)
    n_in, T = 50, 30
    templates = torch.randint(0, 25, (2, n_in), generator=g).float()
    labels = torch.arange(200) % 2
    jitter = torch.randint(-1, 2, (200, n_in), generator=g).float()
    times = (templates[labels] + jitter).clamp(min=0)
    torch.manual_seed(0)
    neuron = Tempotron(n_in, 2, T)
    opt = torch.optim.Adam(neuron.parameters(), lr=0.01)
    for _ in range(100):
        opt.zero_grad()
        loss = tempotron_loss(neuron(times), labels, neuron.v_threshold)
        loss.backward()
        opt.step()
    v_max = neuron(times).detach()
    assert float(tempotron_loss(v_max, labels)) == 0.0  # every neuron on the right side
    assert (v_max.argmax(1) == labels).all()
    fires = neuron.spike_times(times) >= 0
    assert (fires.long().argmax(1) == labels).all() and (fires.sum(1) == 1).all()


def test_mnist_tempotron_task_outputs_margins_and_trains_with_the_tempotron_loss():
    from spikeagents.classify.config import load_classify_config
    from spikeagents.classify.tasks import get_task

    cfg = load_classify_config("mnist-tempotron", overrides=["model.m=4", "T=6"])
    assert (cfg.T, cfg.batch_size, cfg.optimizer.lr) == (6, 64, 1e-3)
    task = get_task("mnist-tempotron")
    net = task.build_model(cfg)
    x = torch.rand(3, 1, 28, 28)
    margins = net(x)
    assert margins.shape == (3, 10)
    v_max = net.tempotron(encode_images(x, 4, 6))
    torch.testing.assert_close(margins, v_max - 1.0)
    y = torch.tensor([1, 2, 3])
    torch.testing.assert_close(task.loss(margins, y), tempotron_loss(v_max, y, 1.0))


@pytest.mark.slow
def test_mnist_tempotron_learns_the_digits(tmp_path):
    pytest.importorskip("sklearn")
    from spikeagents.classify.api import classify

    overrides = ["data=digits", "model.m=12", "threads=1"]  # m < 10 learns far slower
    metrics = classify(
        "mnist-tempotron", overrides=overrides, epochs=1, runs_root=tmp_path, progress=False
    )
    assert metrics["test_acc"] >= 0.6, metrics["history"]


def test_a_neuron_below_rest_still_learns_unlike_the_docs_peak():
    times = torch.tensor([[1.0, 2.0, 5.0]])
    grads = {}
    for after_input in (True, False):
        neuron = Tempotron(3, 1, T=12, peak_after_input=after_input)
        with torch.no_grad():
            neuron.weight.fill_(-0.5)  # V < V_rest after every input: the docs' peak is V(0)
        v_max = neuron(times)
        tempotron_loss(v_max, torch.tensor([0]), 1.0).backward()  # it should have fired
        grads[after_input] = neuron.weight.grad.abs().sum().item()
        if not after_input:
            assert float(v_max.detach()) == 0.0
        else:
            assert float(v_max.detach()) < 0.0
    assert grads[False] == 0.0  # dead: no gradient, ever
    assert grads[True] > 0.0
