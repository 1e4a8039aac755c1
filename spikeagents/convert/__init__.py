"""ANN-to-SNN conversion: trace a trained ReLU network, fold BatchNorm, normalise layer by layer,
replace ReLU with IF neurons, and simulate it step by step (Rueckauer et al. 2017).

Example::

    from spikeagents.convert import convert
    snn = convert(ann, calibration_images, T=64)
    report = snn.evaluate(test_loader)           # accuracy after every step, firing rates
"""

from spikeagents.convert.graph import (
    SUPPORTED_LAYERS,
    ConversionError,
    UnsupportedLayerError,
    fold_batchnorm,
    prepare,
)
from spikeagents.convert.layers import GatedMaxPool2d, IFLayer
from spikeagents.convert.model import ConversionReport, SpikingModel, ann_accuracy, convert

__all__ = [
    "convert",
    "SpikingModel",
    "ConversionReport",
    "ann_accuracy",
    "prepare",
    "fold_batchnorm",
    "IFLayer",
    "GatedMaxPool2d",
    "ConversionError",
    "UnsupportedLayerError",
    "SUPPORTED_LAYERS",
]
