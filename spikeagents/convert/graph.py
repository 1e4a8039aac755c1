r"""Trace a ReLU network with ``torch.fx``, check every operation, fold BatchNorm, drop dropout.

The conversion works on the traced graph, so a model may be any ``nn.Module`` whose ``forward``
``torch.fx`` can trace (no data-dependent control flow): ``nn.Sequential`` stacks, residual
blocks, functional ``F.relu`` / ``torch.flatten`` / ``x.view(x.size(0), -1)`` calls. Every node
gets a *kind* that says how the spiking network treats it:

==============  ==============================================================================
kind            operations
==============  ==============================================================================
``param``       ``Conv2d``, ``Linear`` (weights rescaled by the normalisation)
``relu``        ``ReLU``, ``F.relu``, ``torch.relu``, ``x.relu()`` (become IF neurons)
``maxpool``     ``MaxPool2d`` (becomes a gated max pool over accumulated inputs)
``add``         ``a + b``, ``torch.add(a, b)``, ``a.add(b)`` (residual additions)
``linear``      ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``Flatten``, ``Identity``, ``flatten``,
                ``view``, ``reshape``, ``contiguous`` (act on spikes unchanged)
``shape``       ``x.size()``, ``x.shape``, indexing a shape (integers, not tensors)
==============  ==============================================================================

``BatchNorm1d`` / ``BatchNorm2d`` right after a ``Conv2d`` / ``Linear`` are folded into it and
``Dropout`` (identity at inference) is removed. Anything else raises
:class:`UnsupportedLayerError` naming the layer, so a conversion never silently meets a layer it
does not understand.

BatchNorm folding (eval mode, running statistics :math:`\mu, \sigma^2`):

.. math::

    \bar W = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} W, \qquad
    \bar b = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} (b - \mu) + \beta

(the scale is per output channel: ``W [C_out, ...]``, ``b [C_out]``).
"""

from __future__ import annotations

import copy
import operator

import torch
import torch.fx as fx
import torch.nn.functional as F
from torch import nn

__all__ = [
    "ConversionError",
    "UnsupportedLayerError",
    "SUPPORTED_LAYERS",
    "trace",
    "node_kind",
    "fold_batchnorm",
    "prepare",
    "pool_before_relu",
]

PARAM_MODULES = (nn.Conv2d, nn.Linear)
BN_MODULES = (nn.BatchNorm1d, nn.BatchNorm2d)
DROPOUT_MODULES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d)
LINEAR_MODULES = (nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Flatten, nn.Identity)
RELU_FUNCTIONS = (F.relu, torch.relu)
ADD_FUNCTIONS = (operator.add, torch.add)
LINEAR_FUNCTIONS = (torch.flatten,)
LINEAR_METHODS = ("view", "reshape", "flatten", "contiguous")

#: the layer names listed in errors
SUPPORTED_LAYERS = (
    "Conv2d",
    "Linear",
    "BatchNorm1d",
    "BatchNorm2d",
    "ReLU",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "MaxPool2d",
    "Flatten",
    "Dropout",
    "Identity",
    "residual additions (a + b)",
)


class ConversionError(ValueError):
    """The model cannot be converted (the message says why and what to change)."""


class UnsupportedLayerError(ConversionError):
    """The model holds a layer or operation the conversion does not know; the message names it."""


def _supported() -> str:
    return ", ".join(SUPPORTED_LAYERS)


def trace(model: nn.Module) -> fx.GraphModule:
    """Trace a copy of ``model`` (the original is never changed) into an eval-mode graph.

    :raises ConversionError: ``torch.fx`` cannot trace the forward (data-dependent control flow).
    """
    model = copy.deepcopy(model).eval()
    try:
        gm = fx.symbolic_trace(model)
    except Exception as err:  # fx raises TraceError, TypeError, ... for untraceable code
        raise ConversionError(
            f"torch.fx could not trace {type(model).__name__}: {err}. The conversion needs a "
            "forward without data-dependent control flow (if/for on tensor values)"
        ) from None
    return gm.eval()


def _shape_node(node: fx.Node) -> bool:
    if node.op == "call_method" and node.target == "size":
        return True
    if node.op == "call_function" and node.target is getattr and node.args[1] == "shape":
        return True
    if node.op == "call_function" and node.target is operator.getitem:
        src = node.args[0]
        return isinstance(src, fx.Node) and _shape_node(src)
    return False


def node_kind(gm: fx.GraphModule, node: fx.Node) -> str:
    """The kind of ``node``: ``input``, ``output``, ``param``, ``bn``, ``dropout``, ``relu``,
    ``maxpool``, ``add``, ``linear`` or ``shape`` (see the module docstring).

    :raises UnsupportedLayerError: naming the layer or operation.
    """
    if node.op == "placeholder":
        return "input"
    if node.op == "output":
        return "output"
    if node.op == "call_module":
        module = gm.get_submodule(str(node.target))
        for kind, types in (
            ("param", PARAM_MODULES),
            ("bn", BN_MODULES),
            ("dropout", DROPOUT_MODULES),
            ("relu", (nn.ReLU,)),
            ("maxpool", (nn.MaxPool2d,)),
            ("linear", LINEAR_MODULES),
        ):
            if type(module) in types:
                return kind
        raise UnsupportedLayerError(
            f"cannot convert layer {node.target!r} ({type(module).__name__}): supported layers "
            f"are {_supported()}; replace it, or convert the part of the model before it"
        )
    if _shape_node(node):
        return "shape"
    if node.op == "call_function":
        if node.target in RELU_FUNCTIONS:
            return "relu"
        if node.target in ADD_FUNCTIONS and "alpha" not in node.kwargs:
            return "add"
        if node.target in LINEAR_FUNCTIONS:
            return "linear"
    if node.op == "call_method":
        if node.target == "relu":
            return "relu"
        if node.target == "add" and "alpha" not in node.kwargs:
            return "add"
        if node.target in LINEAR_METHODS:
            return "linear"
    what = getattr(node.target, "__name__", str(node.target))
    raise UnsupportedLayerError(
        f"cannot convert operation {what!r} ({node.op} at node {node.name!r}): supported layers "
        f"are {_supported()}"
    )


def _fold_into(param: nn.Module, bn: nn.Module) -> nn.Module:
    """A copy of ``param`` (Conv2d or Linear) with ``bn`` (eval mode) folded in."""
    if bn.running_mean is None or bn.running_var is None:
        raise ConversionError(
            f"{type(bn).__name__} without running statistics (track_running_stats=False) "
            "cannot be folded"
        )
    folded = copy.deepcopy(param)
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        bias = param.bias if param.bias is not None else torch.zeros_like(bn.running_mean)
        new_bias = (bias - bn.running_mean) * scale
        if bn.bias is not None:
            new_bias = new_bias + bn.bias
        shape = (-1,) + (1,) * (param.weight.dim() - 1)
        folded.weight.copy_(param.weight * scale.view(shape))
        folded.bias = nn.Parameter(new_bias.detach().clone())
    return folded


def fold_batchnorm(gm: fx.GraphModule) -> fx.GraphModule:
    """Fold every BatchNorm into the Conv2d / Linear before it and remove dropout, in place.

    The result computes the same function as ``gm`` in eval mode (up to float rounding).

    :raises UnsupportedLayerError: a BatchNorm that does not directly follow a Conv2d / Linear
        used only by it, or any operation the conversion does not support.
    """
    for node in list(gm.graph.nodes):
        kind = node_kind(gm, node)
        if kind == "dropout":
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
            gm.delete_submodule(str(node.target))
        elif kind == "bn":
            prev = node.args[0]
            ok = (
                isinstance(prev, fx.Node)
                and prev.op == "call_module"
                and isinstance(gm.get_submodule(str(prev.target)), PARAM_MODULES)
                and len(prev.users) == 1
            )
            if not ok:
                bn = gm.get_submodule(str(node.target))
                raise UnsupportedLayerError(
                    f"cannot convert layer {node.target!r} ({type(bn).__name__}): only a "
                    "BatchNorm directly after a Conv2d or Linear (whose output nothing else "
                    "uses) can be folded"
                )
            param_name, bn_name = str(prev.target), str(node.target)
            folded = _fold_into(gm.get_submodule(param_name), gm.get_submodule(bn_name))
            _set_submodule(gm, param_name, folded)
            node.replace_all_uses_with(prev)
            gm.graph.erase_node(node)
            gm.delete_submodule(bn_name)
    gm.graph.lint()
    gm.recompile()
    return gm


def _set_submodule(gm: fx.GraphModule, target: str, module: nn.Module) -> None:
    parent, _, name = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, name, module)


def _check_calls(gm: fx.GraphModule) -> None:
    inputs = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise ConversionError(f"the model must take one input tensor, it takes {len(inputs)}")
    (out,) = [n for n in gm.graph.nodes if n.op == "output"]
    if not isinstance(out.args[0], fx.Node):
        raise ConversionError("the model must return one tensor (not a tuple, list or dict)")
    seen: dict[str, str] = {}
    for node in gm.graph.nodes:
        if node.op == "get_attr":
            raise UnsupportedLayerError(
                f"cannot convert the direct use of tensor {node.target!r} in forward; only "
                f"layers are supported ({_supported()})"
            )
        if node.op == "call_module" and node_kind(gm, node) == "param":
            if str(node.target) in seen:
                raise ConversionError(
                    f"layer {node.target!r} is called more than once; the conversion rescales "
                    "each layer for its one place in the network"
                )
            seen[str(node.target)] = node.name


def prepare(model: nn.Module) -> fx.GraphModule:
    """Trace ``model`` (a copy), check every operation, fold BatchNorm and drop dropout.

    :return: an eval-mode graph computing the same function, with only ``param``, ``relu``,
        ``maxpool``, ``add``, ``linear`` and ``shape`` nodes between input and output.
    """
    gm = trace(model)
    for node in gm.graph.nodes:
        node_kind(gm, node)  # name the first unsupported layer before touching anything
    _check_calls(gm)
    return fold_batchnorm(gm)


def _relu_upstream(gm: fx.GraphModule, node: fx.Node) -> bool:
    """Whether any ReLU lies on a path from the input to ``node``."""
    stack, seen = [node], set()
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if node_kind(gm, n) == "relu":
            return True
        stack.extend(n.all_input_nodes)
    return False


def pool_before_relu(gm: fx.GraphModule) -> int:
    r"""Rewrite ``MaxPool(ReLU(x))`` as ``ReLU(MaxPool(x))`` in the first spiking layer, in place.

    The two are equal (:math:`\max_k \mathrm{ReLU}(x_k) = \mathrm{ReLU}(\max_k x_k)`, ReLU is
    monotone). Where ``x`` depends on the input through linear layers only (no ReLU upstream),
    a constant input gives constant currents, so the gated pool picks the right unit from the
    first step, and the IF neurons sit after the pool. Deeper pools stay after their ReLU: on
    spike-driven currents the move measured worse at small T. Only a ReLU whose one user is the
    pool is moved. Returns how many were moved.
    """
    moved = 0
    for pool in list(gm.graph.nodes):
        if node_kind(gm, pool) != "maxpool":
            continue
        relu = pool.args[0]
        if not (isinstance(relu, fx.Node) and node_kind(gm, relu) == "relu"):
            continue
        x = relu.args[0]
        if len(relu.users) != 1 or _relu_upstream(gm, x):
            continue
        for user in list(pool.users):
            user.replace_input_with(pool, relu)
        pool.replace_input_with(relu, x)
        relu.replace_input_with(x, pool)
        pool.append(relu)  # keep the node list in topological order
        moved += 1
    gm.graph.lint()
    gm.recompile()
    return moved
