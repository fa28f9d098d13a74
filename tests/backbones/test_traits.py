"""`kerasft.backbones.traits`: architecture facts keyed on backbone classes."""

import keras_hub
import pytest

import kerasft
from kerasft.backbones import BackboneTraits, T5EncoderBackbone, XLNetBackbone, traits
from kerasft.errors import CheckpointError

models = keras_hub.models


@pytest.mark.parametrize("backbone_cls, pooling, padding_side", [
    (XLNetBackbone, "last", "left"),  # kerasft's batch-safe XLNet
    (models.XLNetBackbone, "last", "left"),
    (models.GPT2Backbone, "last", "right"),
    (models.LlamaBackbone, "last", "right"),
    (kerasft.backbones.BertBackbone, "mean", "right"),
    (models.BertBackbone, "mean", "right"),
    (models.RobertaBackbone, "mean", "right"),
    (models.BartBackbone, "mean", "right"),
    (models.T5Backbone, "mean", "right"),
    (T5EncoderBackbone, "mean", "right"),
])
def test_pooling_and_padding_follow_the_class(backbone_cls, pooling, padding_side):
    found = traits(backbone_cls)
    assert (found.pooling, found.padding_side) == (pooling, padding_side)


def test_seq2seq_decoder_and_t5_flags():
    assert traits(models.T5Backbone) == BackboneTraits(
        pooling="mean", padding_side="right", is_decoder=False, is_seq2seq=True, is_t5=True)
    assert traits(models.BartBackbone).is_seq2seq and not traits(models.BartBackbone).is_t5
    assert traits(models.GPT2Backbone).is_decoder
    assert not traits(T5EncoderBackbone).is_t5 and not traits(T5EncoderBackbone).is_seq2seq


def test_subclass_answers_like_its_base():
    class MyGPT2(models.GPT2Backbone):
        pass

    assert traits(MyGPT2) == traits(models.GPT2Backbone)


def test_instance_class_and_model_type_agree():
    backbone, _ = kerasft.from_pretrained("tiny-bert")
    assert traits(backbone) == traits(type(backbone)) == traits("bert")
    assert traits("xlnet").padding_side == "left"


def test_traits_are_frozen():
    with pytest.raises(AttributeError):
        traits("bert").pooling = "last"


def test_not_a_backbone_raises():
    with pytest.raises(TypeError, match="Received: backbone=3"):
        traits(3)


def test_unknown_model_type_raises():
    with pytest.raises(CheckpointError, match="model_type='funnel'"):
        traits("funnel")
