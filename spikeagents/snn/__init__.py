"""The core SNN layer: neurons, surrogate gradients, encoders, kernels, layers.

Shapes are time-major: single-step modules take ``[B, ...]`` and keep state between calls,
multi-step modules take ``[T, B, ...]``.
"""
