"""Surrogates: Heaviside forward, each gradient equal to its formula, primitives gradcheck."""

from __future__ import annotations

import math

import pytest
import torch

from spikeagents.snn import surrogate as sg

POINTS = torch.tensor([-2.0, -0.7, -0.25, 0.0, 0.1, 0.5, 1.3], dtype=torch.float64)


def _expected(name: str, x: float) -> float:
    """The surrogate derivatives, written out by hand from the docs' formulas."""
    if name == "sigmoid":  # alpha = 1
        s = 1 / (1 + math.exp(-x))
        return s * (1 - s)
    if name == "atan":  # alpha = 2
        return 2 / 2 / (1 + (math.pi / 2 * 2 * x) ** 2)
    if name == "piecewise_quadratic":  # alpha = 1
        return 0.0 if abs(x) > 1 else 1 - abs(x)
    if name == "piecewise_exp":  # alpha = 1
        return 0.5 * math.exp(-abs(x))
    if name == "soft_sign":  # alpha = 2
        return 2 / (2 * (1 + abs(2 * x)) ** 2)
    if name == "nonzero_sign_log_abs":  # alpha = 1
        return 1 / (1 + abs(x))
    if name == "erf":  # alpha = 2
        return 2 / math.sqrt(math.pi) * math.exp(-4 * x * x)
    if name == "piecewise_leaky_relu":  # w = 1, c = 0.01
        return 0.5 if abs(x) <= 1 else 0.01
    raise AssertionError(name)


@pytest.mark.parametrize("name", sorted(sg.SURROGATES))
def test_spiking_forward_is_heaviside_and_gradient_is_formula(name: str) -> None:
    f = sg.get_surrogate(name)
    x = POINTS.clone().requires_grad_(True)
    y = f(x)
    assert torch.equal(y, (POINTS >= 0).double())
    y.sum().backward()
    expected = torch.tensor([_expected(name, float(v)) for v in POINTS], dtype=torch.float64)
    torch.testing.assert_close(x.grad, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(sg.SURROGATES))
def test_primitive_derivative_matches_autograd_and_gradcheck(name: str) -> None:
    f = sg.get_surrogate(name)
    f.set_spiking_mode(False)
    # stay off the kinks of the piecewise primitives, where gradcheck's finite difference is wrong
    x = torch.tensor([-2.3, -0.6, -0.2, 0.15, 0.55, 1.7], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(f, (x,))
    (g,) = torch.autograd.grad(f(x).sum(), x)
    torch.testing.assert_close(g, f.derivative(x.detach()))


def test_primitives_are_monotone_and_centred() -> None:
    x = torch.linspace(-3, 3, 601, dtype=torch.float64)
    for name, cls in sg.SURROGATES.items():
        y = cls(spiking=False)(x)
        assert torch.all(y[1:] >= y[:-1]), name
        if name != "nonzero_sign_log_abs":  # its range is not (0, 1): the docs warn
            assert abs(float(cls(spiking=False)(torch.zeros(1, dtype=torch.float64))) - 0.5) < 1e-12


def test_registry_and_errors() -> None:
    assert isinstance(sg.get_surrogate(None), sg.ATan)
    assert sg.get_surrogate(None).alpha == 2.0
    assert sg.get_surrogate("ERF", alpha=3.0).alpha == 3.0
    inst = sg.Sigmoid()
    assert sg.get_surrogate(inst) is inst
    with pytest.raises(ValueError, match="valid choices: .*atan"):
        sg.get_surrogate("relu")
    with pytest.raises(ValueError, match="alpha must be > 0"):
        sg.ATan(alpha=0.0)
    with pytest.raises(TypeError):
        sg.get_surrogate(3)  # type: ignore[arg-type]


def test_docs_defaults() -> None:
    assert sg.Sigmoid().alpha == 1.0 and sg.ATan().alpha == 2.0 and sg.Erf().alpha == 2.0
    assert sg.SoftSign().alpha == 2.0 and sg.PiecewiseExp().alpha == 1.0
    assert (sg.PiecewiseLeakyReLU().w, sg.PiecewiseLeakyReLU().c) == (1.0, 0.01)
