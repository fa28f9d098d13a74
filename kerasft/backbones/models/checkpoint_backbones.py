"""keras-hub encoders with the checkpoint's numerics: LayerNorm epsilon, GELU.

keras-hub hard-codes two settings that Hugging Face checkpoints state:

- the LayerNorm epsilon (`layer_norm_eps`): keras-hub's RoBERTa and
  XLM-RoBERTa use 1e-5, BERT, ELECTRA and ALBERT 1e-12. A tiny XLM-RoBERTa
  saved by transformers with its default 1e-12 differed from transformers by
  1.1e-4 in its hidden states, against 7e-7 with the checkpoint's epsilon.
- the feed-forward GELU of BERT, ELECTRA and ALBERT: keras-hub builds the tanh
  approximation (Google's original TensorFlow BERT did); `hidden_act="gelu"`
  is the exact (erf) form, used by transformers' BERT, ELECTRA and ALBERT-v1
  and every model fine-tuned with them; `"gelu_new"` is the tanh form. The
  two differ by up to 1e-3 per activation (1.5e-3 in the hidden states of
  MiniLM-L6, 2 layers), against 1e-6 with the matching form.

The classes here are keras-hub's, with `layer_norm_epsilon` (and, for the
BERT family, `activation`) arguments that are set on the built layers and
kept in `get_config`, so `from_config`, `.keras` files and presets rebuild
the same function. They are made by one factory, `_with_checkpoint_settings`,
since they differ only in their keras-hub base class; each keeps the
registered name it had (`kerasft>BertBackbone`, ...).
"""

import keras
from keras_hub import models as keras_hub_models
from keras_hub.src.layers.modeling.transformer_encoder import TransformerEncoder
from keras_hub.src.utils.keras_utils import gelu_approximate

from kerasft.errors import ConfigError

ACTIVATIONS = {
    "gelu": keras.activations.gelu,  # exact (erf), transformers' "gelu"
    "gelu_approximate": gelu_approximate,  # tanh, transformers' "gelu_new"
}
# transformers `hidden_act` -> activation name above.
FROM_TRANSFORMERS = {
    "gelu": "gelu", "gelu_python": "gelu", "gelu_new": "gelu_approximate",
    "gelu_pytorch_tanh": "gelu_approximate", "gelu_fast": "gelu_approximate",
}


class LayerNormEpsilonMixin:
    """Sets `layer_norm_epsilon` on every LayerNorm of the built backbone.

    Args:
        layer_norm_epsilon: float or None. The epsilon of every
            `keras.layers.LayerNormalization`. Defaults to None, keras-hub's
            hard-coded value.
    """

    def __init__(self, *args, layer_norm_epsilon=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._use_layer_norm_epsilon(layer_norm_epsilon)

    def _use_layer_norm_epsilon(self, epsilon):
        if epsilon is not None:
            if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon <= 0:
                raise ConfigError(
                    f"{type(self).__name__} needs a positive float "
                    f"layer_norm_epsilon. Received: layer_norm_epsilon={epsilon!r}. "
                    "Pass a value such as 1e-12, or None for keras-hub's."
                )
            epsilon = float(epsilon)
            for layer in self._flatten_layers(include_self=False):
                if isinstance(layer, keras.layers.LayerNormalization):
                    layer.epsilon = epsilon
                elif isinstance(layer, TransformerEncoder):
                    layer.layer_norm_epsilon = epsilon  # its own config
        self.layer_norm_epsilon = epsilon

    def get_config(self):
        return {**super().get_config(), "layer_norm_epsilon": self.layer_norm_epsilon}


class GeluMixin(LayerNormEpsilonMixin):
    """Sets the feed-forward activation of every `TransformerEncoder`.

    Args:
        activation: str. `"gelu"` (exact) or `"gelu_approximate"` (tanh).
            Defaults to `"gelu_approximate"`, keras-hub's.
    """

    def __init__(self, *args, activation="gelu_approximate", **kwargs):
        super().__init__(*args, **kwargs)
        self._use_activation(activation)

    def _use_activation(self, activation):
        if activation not in ACTIVATIONS:
            raise ConfigError(
                f"Unknown {type(self).__name__} activation. Received: "
                f"activation={activation!r}. Valid: {sorted(ACTIVATIONS)}."
            )
        function = ACTIVATIONS[activation]
        for layer in self._flatten_layers(include_self=False):
            if isinstance(layer, TransformerEncoder):
                layer.activation = function
                layer._feedforward_intermediate_dense.activation = function
        self.activation = activation

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


def _with_checkpoint_settings(base, mixin):
    """`base` (a keras-hub backbone class) with `mixin`, registered as
    `kerasft>{base.__name__}`."""
    name = base.__name__
    cls = type(name, (mixin, base), {
        "__module__": __name__,
        "__qualname__": name,
        "__doc__": (
            f"`keras_hub.models.{name}` with the checkpoint's numerics.\n\n"
            f"Args: those of `keras_hub.models.{name}`, and those of "
            f"`{mixin.__name__}`."
        ),
    })
    return keras.saving.register_keras_serializable(package="kerasft")(cls)


BertBackbone = _with_checkpoint_settings(keras_hub_models.BertBackbone, GeluMixin)
ElectraBackbone = _with_checkpoint_settings(keras_hub_models.ElectraBackbone, GeluMixin)
AlbertBackbone = _with_checkpoint_settings(keras_hub_models.AlbertBackbone, GeluMixin)
RobertaBackbone = _with_checkpoint_settings(
    keras_hub_models.RobertaBackbone, LayerNormEpsilonMixin
)
XLMRobertaBackbone = _with_checkpoint_settings(
    keras_hub_models.XLMRobertaBackbone, LayerNormEpsilonMixin
)
