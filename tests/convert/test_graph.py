"""Tracing, BatchNorm folding and the named errors for layers the conversion does not know."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikeagents.convert import UnsupportedLayerError, convert, fold_batchnorm, prepare
from spikeagents.convert.graph import ConversionError, trace


def _randomise_bn(model: nn.Module) -> None:
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
            if m.affine:
                m.weight.data.copy_(torch.rand(n, generator=g) + 0.5)
                m.bias.data.copy_(torch.rand(n, generator=g) - 0.5)


class _ConvBnNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(6, eps=1e-3)
        self.fc = nn.Linear(6 * 4 * 4, 5)
        self.bn1 = nn.BatchNorm1d(5, affine=False)

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.bn1(self.fc(x.view(x.size(0), -1)))


def test_batchnorm_folding_is_exact_and_leaves_the_model_alone():
    torch.manual_seed(0)
    model = _ConvBnNet()
    _randomise_bn(model)
    model.eval()
    x = torch.randn(7, 3, 4, 4)
    before = model(x)
    folded = prepare(model)
    assert not any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in folded.modules())
    torch.testing.assert_close(folded(x), before, atol=1e-5, rtol=1e-5)
    assert model.conv.bias is None and model.training is False  # the original is untouched
    assert folded.conv.bias is not None  # the BN shift became a bias


def test_folding_a_traced_graph_in_place_keeps_the_function():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Dropout(0.5))
    _randomise_bn(model)
    model.eval()
    x = torch.randn(5, 4)
    gm = fold_batchnorm(trace(model))
    assert [type(m).__name__ for m in gm.children()] == ["Linear", "ReLU"]
    torch.testing.assert_close(gm(x), model(x))


@pytest.mark.parametrize(
    "model, message",
    [
        (nn.Sequential(nn.Conv2d(1, 2, 3), nn.GELU()), "cannot convert layer '1' (GELU)"),
        (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid()), "cannot convert layer '1' (Sigmoid)"),
        (
            nn.Sequential(nn.ReLU(), nn.BatchNorm1d(2)),
            "cannot convert layer '1' (BatchNorm1d): only a BatchNorm directly after",
        ),
        (
            nn.Sequential(nn.Linear(2, 2), nn.LayerNorm(2)),
            "cannot convert layer '1' (LayerNorm)",
        ),
    ],
)
def test_unsupported_layers_are_named(model, message):
    with pytest.raises(
        UnsupportedLayerError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        convert(model, torch.rand(4, 2) if not isinstance(model[0], nn.Conv2d) else None)


def test_unsupported_functions_are_named_and_the_supported_list_given():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return torch.sigmoid(self.fc(x))

    with pytest.raises(UnsupportedLayerError) as err:
        convert(Net(), torch.rand(2, 3))
    assert "'sigmoid'" in str(err.value) and "supported layers are Conv2d, Linear" in str(err.value)


def test_untraceable_models_and_constants_get_clear_errors():
    class Branchy(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ConversionError, match="torch.fx could not trace Branchy"):
        convert(Branchy(), torch.rand(2, 3))

    class PlusOne(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, 3)

        def forward(self, x):
            return F.relu(self.fc(x)) + 1.0

    with pytest.raises(UnsupportedLayerError, match="not a tensor plus a constant"):
        convert(PlusOne(), torch.rand(2, 3))


def test_the_first_max_pool_moves_before_its_relu_and_nothing_changes():
    from spikeagents.convert.graph import pool_before_relu

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.c1, self.c2 = nn.Conv2d(1, 3, 3, padding=1), nn.Conv2d(3, 3, 3, padding=1)
            self.pool = nn.MaxPool2d(2)

        def forward(self, x):
            x = self.pool(F.relu(self.c1(x)))  # first layer: moved
            return self.pool(F.relu(self.c2(x)))  # a ReLU upstream: stays

    torch.manual_seed(0)
    model = Net().eval()
    gm = prepare(model)
    x = torch.randn(4, 1, 8, 8)
    assert pool_before_relu(gm) == 1
    order = [n.name for n in gm.graph.nodes if n.op != "placeholder"]
    assert order[:3] == ["c1", "pool", "relu"] and order[4:6] == ["relu_1", "pool_1"]
    torch.testing.assert_close(gm(x), model(x))
