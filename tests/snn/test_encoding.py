"""Tests for spikeagents.snn.encoding: each test states the property that must hold."""

from __future__ import annotations

import doctest
import math

import pytest
import torch

from spikeagents.snn import encoding
from spikeagents.snn.encoding import (
    ENCODERS,
    GaussianTuning,
    LatencyEncoder,
    PeriodicEncoder,
    PoissonEncoder,
    PopulationEncoder,
    WeightedPhaseEncoder,
    get_encoder,
)

# The six intensities of the docs' LatencyEncoder demo (T = 20).
DOC_INTENSITIES = [0.6650, 0.3704, 0.8485, 0.0247, 0.5589, 0.1030]


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_docstring_examples_run():
    result = doctest.testmod(encoding, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# ---------------------------------------------------------------------------------------- Poisson


def test_poisson_rate_matches_intensity():
    x = torch.linspace(0, 1, 11)
    spikes = PoissonEncoder(T=4000, generator=gen(0))(x)
    assert spikes.shape == (4000, 11)
    assert set(spikes.unique().tolist()) <= {0.0, 1.0}
    rate = spikes.mean(0)
    assert (rate - x).abs().max() < 0.03
    assert rate[0] == 0.0 and rate[-1] == 1.0  # p = 0 never fires, p = 1 always fires


def test_poisson_single_step_shape_and_seeding():
    x = torch.full((3, 4), 0.5)
    assert PoissonEncoder()(x).shape == x.shape
    a = PoissonEncoder(T=50, generator=gen(1))(x)
    b = PoissonEncoder(T=50, generator=gen(1))(x)
    c = PoissonEncoder(T=50, generator=gen(2))(x)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    # a per-call generator overrides the constructor's
    d = PoissonEncoder(T=50, generator=gen(2))(x, generator=gen(1))
    assert torch.equal(a, d)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_poisson_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"\[0\.0, 1\.0\]"):
        PoissonEncoder()(torch.tensor([0.2, bad]))


# ---------------------------------------------------------------------------------------- Latency


def test_latency_linear_matches_docs_formula_by_hand():
    T = 20
    x = torch.tensor(DOC_INTENSITIES)
    # t_f = (T - 1)(1 - x): 6.365, 11.962, 2.879, 18.531, 8.381, 17.043
    expected = [6, 12, 3, 19, 8, 17]
    assert [round((T - 1) * (1 - v)) for v in DOC_INTENSITIES] == expected
    assert LatencyEncoder(T).spike_times(x).tolist() == expected


def test_latency_log_matches_docs_formula_by_hand():
    T = 20
    x = torch.tensor(DOC_INTENSITIES)
    alpha = math.exp(T - 1) - 1  # fine at T = 20 in plain floats
    # t_f = (T - 1) - ln(alpha x + 1): 0.408, 0.993, 0.164, 3.701, 0.582, 2.273
    expected = [0, 1, 0, 4, 1, 2]
    assert [round((T - 1) - math.log(alpha * v + 1)) for v in DOC_INTENSITIES] == expected
    assert LatencyEncoder(T, "log").spike_times(x).tolist() == expected


def test_latency_log_small_intensities_match_direct_formula():
    # Where x alpha ~ 1 the "+1" inside the log matters: x = e^-19 gives 19 - ln(2) = 18.31.
    T = 20
    alpha = math.exp(T - 1) - 1
    xs = [math.exp(-(T - 1))] + torch.logspace(-12, 0, 97, dtype=torch.float64).tolist()
    expected = [round((T - 1) - math.log(alpha * v + 1)) for v in xs]
    assert expected[0] == 18
    got = LatencyEncoder(T, "log").spike_times(torch.tensor(xs, dtype=torch.float64))
    assert got.tolist() == expected


@pytest.mark.parametrize("enc_function", ["linear", "log"])
def test_latency_one_spike_per_neuron_and_stateful_replay(enc_function):
    T = 20
    x = torch.tensor(DOC_INTENSITIES)
    enc = LatencyEncoder(T, enc_function)
    seq = enc.encode(x)
    assert seq.shape == (T, 6)
    assert torch.equal(seq.sum(0), torch.ones(6))
    assert torch.equal(seq.argmax(0), enc.spike_times(x))
    enc.reset()
    steps = torch.stack([enc(x) for _ in range(2 * T)])
    assert torch.equal(steps[:T], seq) and torch.equal(steps[T:], seq)  # period T
    assert enc.state_dict() == {}  # state is not saved
    enc.reset()
    assert enc.spike is None and enc.t == 0
    assert torch.equal(enc(torch.ones(6)), torch.ones(6))  # re-encodes after reset: x=1 fires at 0


def test_latency_extremes_and_monotonic():
    for fn in ("linear", "log"):
        enc = LatencyEncoder(20, fn)
        assert enc.spike_times(torch.tensor([1.0, 0.0])).tolist() == [0, 19]
        t = enc.spike_times(torch.linspace(0, 1, 101))
        assert bool((t[1:] <= t[:-1]).all())  # larger x fires no later


def test_latency_log_large_T_is_finite_and_exact():
    T = 1000
    x = torch.tensor([0.0, 1e-300, 1e-3, 0.5, 1.0], dtype=torch.float64)
    times = LatencyEncoder(T, "log").spike_times(x)
    # (T-1) - ln(x e^(T-1) + 1 - x) = -ln(x + (1-x) e^-(T-1)) ~ -ln(x) for x >> e^-999
    assert times.tolist() == [999, round(-math.log(1e-300)), 7, 1, 0]
    seq = LatencyEncoder(T, "log").encode(x)
    assert torch.isfinite(seq).all() and torch.equal(seq.sum(0), torch.ones(5, dtype=seq.dtype))


def test_latency_validation():
    with pytest.raises(ValueError, match="'linear', 'log'"):
        LatencyEncoder(10, "exp")
    with pytest.raises(ValueError, match="T must be"):
        LatencyEncoder(0)
    with pytest.raises(ValueError, match="1.2"):
        LatencyEncoder(10).encode(torch.tensor([1.2]))


# ---------------------------------------------------------------------------------- Weighted phase


@pytest.mark.parametrize(
    ("numerator", "bits"),
    [(192, "11000000"), (1, "00000001"), (128, "10000000"), (255, "11111111")],
)
def test_weighted_phase_docs_table(numerator, bits):
    enc = WeightedPhaseEncoder(K=8)
    out = enc.encode(torch.tensor([numerator / 256]))
    assert "".join(str(int(b)) for b in out[:, 0].tolist()) == bits


def test_weighted_phase_roundtrip_all_codes():
    K = 8
    enc = WeightedPhaseEncoder(K)
    x = torch.arange(2**K, dtype=torch.float64) / 2**K
    bits = enc.encode(x)
    assert bits.shape == (K, 2**K)
    assert torch.equal(enc.decode(bits), x)
    # the bits are the binary digits of k, MSB first
    k = torch.arange(2**K)
    assert torch.equal(bits.long(), torch.stack([(k >> (K - 1 - i)) & 1 for i in range(K)]))


def test_weighted_phase_truncates_and_replays():
    enc = WeightedPhaseEncoder(K=3)
    x = torch.tensor([0.7])  # 0.1011... -> truncated to 0.101 = 0.625
    assert enc.decode(enc.encode(x)).item() == 0.625
    enc.reset()
    steps = torch.cat([enc(x) for _ in range(6)])
    assert steps.tolist() == [1.0, 0.0, 1.0, 1.0, 0.0, 1.0]


@pytest.mark.parametrize("bad", [-0.01, 1.0, 255.5 / 256])
def test_weighted_phase_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match="0.99609375"):
        WeightedPhaseEncoder(K=8).encode(torch.tensor([bad], dtype=torch.float64))


def test_weighted_phase_decode_checks_K():
    with pytest.raises(ValueError, match="K=8"):
        WeightedPhaseEncoder(K=8).decode(torch.zeros(4, 2))


# ---------------------------------------------------------------------------------- Gaussian tuning


def test_gaussian_tuning_hand_computed():
    # Feature 0: range [0, 1], m = 4 -> width 1/2, mu = -0.25, 0.25, 0.75, 1.25, sigma = 1/3.
    # At x = 0.25, 2 sigma^2 = 2/9: g = e^-1.125, 1, e^-1.125, e^-4.5 = 0.325, 1, 0.325, 0.011
    # t = round(10 (1 - g)) = 7, 0, 7, 10 -> the last is at T_max, so -1.
    gt = GaussianTuning(1, 4, torch.tensor([0.0]), torch.tensor([1.0]))
    assert torch.allclose(gt.mu, torch.tensor([[-0.25, 0.25, 0.75, 1.25]]))
    assert gt.encode(torch.tensor([[0.25]]), max_spike_time=10).tolist() == [
        [[7.0, 0.0, 7.0, -1.0]]
    ]


def test_gaussian_tuning_per_feature_ranges_and_extra_dims():
    x_min, x_max, m, T = [0.0, -2.0], [1.0, 2.0], 5, 10
    gt = GaussianTuning(2, m, torch.tensor(x_min), torch.tensor(x_max))
    x = torch.tensor([[[0.25, 0.9], [0.5, -1.0]]])  # [batch=1, n=2, k=2]
    out = gt.encode(x, max_spike_time=T)
    assert out.shape == (1, 2, 2, m)
    for i in range(2):
        width = (x_max[i] - x_min[i]) / (m - 2)
        sigma = width / 1.5
        for k in range(2):
            v = x[0, i, k].item()
            for j in range(1, m + 1):
                mu = x_min[i] + (2 * j - 3) / 2 * width
                t = round((1 - math.exp(-((v - mu) ** 2) / (2 * sigma**2))) * T)
                assert out[0, i, k, j - 1].item() == (-1 if t >= T else t)
    # Feature 1 at x = 0.5, worked by hand: (1 - g) T = 9.98, 8.81, 1.46, 3.56, 9.49
    single = gt.encode(torch.tensor([[0.25, 0.5]]), max_spike_time=T)
    assert single[0, 1].tolist() == [-1.0, 9.0, 1.0, 4.0, 9.0]


def test_gaussian_tuning_validation():
    with pytest.raises(ValueError, match="m must be"):
        GaussianTuning(1, 2, torch.tensor([0.0]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="x_min must have shape"):
        GaussianTuning(2, 4, torch.tensor([0.0]), torch.tensor([1.0, 1.0]))
    with pytest.raises(ValueError, match="n=1"):
        GaussianTuning(1, 4, torch.tensor([0.0]), torch.tensor([1.0])).encode(torch.zeros(3, 2))


# ---------------------------------------------------------------------------------------- Periodic


def test_periodic_replays_sequence_and_reset_restarts():
    # The docs' example: 3 neurons with sequences 01000, 10000, 00001, run for 20 steps.
    spike = torch.zeros(5, 3)
    spike[1, 0] = spike[0, 1] = spike[4, 2] = 1
    enc = PeriodicEncoder(spike)
    out = torch.stack([enc() for _ in range(20)])
    assert torch.equal(out, spike.repeat(4, 1))
    enc()
    enc()
    enc.reset()
    assert torch.equal(enc(), spike[0])
    assert enc.state_dict() == {}
    new = torch.eye(2)
    enc.encode(new)
    assert enc.T == 2
    assert torch.equal(torch.stack([enc() for _ in range(4)]), new.repeat(2, 1))


# -------------------------------------------------------------------------------------- Population


def test_population_shape_centres_and_constant_over_time():
    enc = PopulationEncoder(obs_dim=3, pop_size=5, low=-1.0, high=1.0, T=4)
    assert enc.constant_over_time
    assert torch.allclose(enc.mean, torch.linspace(-1, 1, 5).expand(3, 5))
    assert torch.allclose(enc.std, torch.full((3, 5), 0.5))
    x = torch.tensor([[0.0, 0.5, -1.0], [0.3, 0.2, 0.1]])
    out = enc(x)
    assert out.shape == (4, 2, 15)
    assert all(torch.equal(out[t], out[0]) for t in range(4))
    assert torch.equal(out[0], enc.activation(x))
    # x = 0 sits on centre 2 of dim 0 (A = 1); its neighbours are one std away (A = e^-0.5)
    expected = torch.tensor([math.exp(-2), math.exp(-0.5), 1.0, math.exp(-0.5), math.exp(-2)])
    assert torch.allclose(out[0, 0, :5], expected)


def test_population_per_dimension_range():
    enc = PopulationEncoder(2, pop_size=3, low=torch.tensor([0.0, -4.0]), high=torch.tensor([1, 4]))
    assert torch.allclose(enc.mean, torch.tensor([[0.0, 0.5, 1.0], [-4.0, 0.0, 4.0]]))
    assert torch.allclose(enc.std[:, 0], torch.tensor([0.5, 4.0]))
    with pytest.raises(ValueError, match="high must be > low"):
        PopulationEncoder(2, low=1.0, high=1.0)
    with pytest.raises(ValueError, match=r"\[B, 2\]"):
        enc(torch.zeros(4, 3))


@pytest.mark.parametrize("deterministic", [True, False])
def test_population_gradients_reach_mean_and_std(deterministic):
    enc = PopulationEncoder(2, pop_size=4, deterministic=deterministic, T=8, generator=gen(0))
    x = torch.tensor([[0.1, -0.4], [0.7, 0.2]])
    enc(x).sum().backward()
    for p in (enc.mean, enc.std):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    if not deterministic:
        # straight-through: d(sum of spikes)/dA = T, so the grads equal T * grad of sum(A)
        m, s = enc.mean.grad.clone(), enc.std.grad.clone()
        enc.zero_grad()
        (8 * enc.activation(x)).sum().backward()
        assert torch.allclose(m, enc.mean.grad) and torch.allclose(s, enc.std.grad)


def test_population_stochastic_spikes_seeded_and_rate():
    x = torch.tensor([[0.0, 0.4]])
    enc = PopulationEncoder(2, pop_size=5, deterministic=False, T=4000, generator=gen(3))
    assert not enc.constant_over_time
    a = enc(x)
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    assert (a.mean(0) - enc.activation(x)).abs().max() < 0.03
    b = PopulationEncoder(2, pop_size=5, deterministic=False, T=4000, generator=gen(3))(x)
    c = PopulationEncoder(2, pop_size=5, deterministic=False, T=4000, generator=gen(4))(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


# ---------------------------------------------------------------------------------------- Registry


def test_registry_builds_each_encoder():
    assert set(ENCODERS) == {"poisson", "periodic", "latency", "weighted_phase", "population"}
    assert isinstance(get_encoder("poisson", T=3), PoissonEncoder)
    assert isinstance(get_encoder("periodic", spike=torch.eye(2)), PeriodicEncoder)
    assert get_encoder("latency", T=8, enc_function="log").enc_function == "log"
    assert isinstance(get_encoder("weighted_phase", K=4), WeightedPhaseEncoder)
    assert isinstance(get_encoder("population", obs_dim=2), PopulationEncoder)
    with pytest.raises(ValueError, match="valid names: .*'latency'.*'weighted_phase'"):
        get_encoder("rate")
