"""keras-hub's BERT, ELECTRA and ALBERT backbones with the checkpoint's GELU.

keras-hub builds these feed-forward layers with the tanh approximation of
GELU (Google's original TensorFlow BERT did). Hugging Face checkpoints say
which GELU they were trained with: `hidden_act="gelu"` is the exact (erf)
form, used by transformers' BERT, ELECTRA and ALBERT-v1 and by every model
fine-tuned with them; `"gelu_new"` is the tanh form. The two differ by up
to 1e-3 per activation, which reached 1.5e-3 in the hidden states of
MiniLM-L6 (2 layers) and 1.3e-3 in a tiny random BERT with weights of std
0.1, against 1e-6 with the matching form.

These subclasses take an `activation` argument (`"gelu"` exact or
`"gelu_approximate"`, keras-hub's default), set it on every feed-forward
layer after keras-hub builds the network, and keep it in `get_config`, so
`from_config`, `.keras` files and presets rebuild the same function.
"""

import keras
from keras_hub.models import AlbertBackbone as KerasHubAlbertBackbone
from keras_hub.models import BertBackbone as KerasHubBertBackbone
from keras_hub.models import ElectraBackbone as KerasHubElectraBackbone
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


class _GeluMixin:
    """Sets the feed-forward activation of every `TransformerEncoder`."""

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


@keras.saving.register_keras_serializable(package="kerasft")
class BertBackbone(_GeluMixin, KerasHubBertBackbone):
    """`keras_hub.models.BertBackbone` with a choice of GELU.

    Args: those of `keras_hub.models.BertBackbone`, and
        activation: str. `"gelu"` (exact) or `"gelu_approximate"` (tanh).
            Defaults to `"gelu_approximate"`, keras-hub's.
    """

    def __init__(self, *args, activation="gelu_approximate", **kwargs):
        super().__init__(*args, **kwargs)
        self._use_activation(activation)


@keras.saving.register_keras_serializable(package="kerasft")
class ElectraBackbone(_GeluMixin, KerasHubElectraBackbone):
    """`keras_hub.models.ElectraBackbone` with a choice of GELU.

    Args: those of `keras_hub.models.ElectraBackbone`, and
        activation: str. `"gelu"` (exact) or `"gelu_approximate"` (tanh).
            Defaults to `"gelu_approximate"`, keras-hub's.
    """

    def __init__(self, *args, activation="gelu_approximate", **kwargs):
        super().__init__(*args, **kwargs)
        self._use_activation(activation)


@keras.saving.register_keras_serializable(package="kerasft")
class AlbertBackbone(_GeluMixin, KerasHubAlbertBackbone):
    """`keras_hub.models.AlbertBackbone` with a choice of GELU.

    Args: those of `keras_hub.models.AlbertBackbone`, and
        activation: str. `"gelu"` (exact) or `"gelu_approximate"` (tanh).
            Defaults to `"gelu_approximate"`, keras-hub's.
    """

    def __init__(self, *args, activation="gelu_approximate", **kwargs):
        super().__init__(*args, **kwargs)
        self._use_activation(activation)
