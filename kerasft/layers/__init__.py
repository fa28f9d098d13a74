"""Layers, heads and losses of kerasft's task models."""

from kerasft.layers.contrastive import (
    CosineSimilarityLoss,
    L2Normalization,
    MultipleNegativesRankingLoss,
)
from kerasft.layers.dense_head import dense_head
from kerasft.layers.losses import StandardizedMeanSquaredError
from kerasft.layers.pooling import (
    POOLINGS,
    LastTokenPooling,
    MaskedMeanPooling,
    pooled_output,
    resolve_pooling,
    sequence_output,
)
from kerasft.layers.span_logits import SpanLogits
from kerasft.layers.target_scaling import TargetScaling

__all__ = [
    "POOLINGS",
    "CosineSimilarityLoss",
    "L2Normalization",
    "MultipleNegativesRankingLoss",
    "LastTokenPooling",
    "MaskedMeanPooling",
    "SpanLogits",
    "StandardizedMeanSquaredError",
    "TargetScaling",
    "dense_head",
    "pooled_output",
    "resolve_pooling",
    "sequence_output",
]
