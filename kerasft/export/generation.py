"""Export pieces of generative tasks: the spec of an encoder-decoder's
forward pass, and a SavedModel with a `generate` signature (decoding in
the graph; tokenization stays outside)."""

import os

import numpy as np

from kerasft.export.spec import ExportSpec
from kerasft.training.precision import float32_compute


class Seq2SeqExportSpec(ExportSpec):
    """`ExportSpec` of an encoder-decoder's fixed-length forward pass:
    `encoder_*` inputs hold the sources, `decoder_*` the start token then
    padding, so output position 0 scores the first target token.

    Args:
        preprocessor: `Seq2SeqPreprocessor` (its `encode` gives the
            encoder ids, source prefix included).
        decoder_start_token_id: int. The first decoder input.
        *args, **kwargs: see `ExportSpec`.
    """

    def __init__(self, preprocessor, decoder_start_token_id, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.preprocessor = preprocessor
        self.decoder_start_token_id = decoder_start_token_id

    def encode(self, texts, length=None):
        length = length or self.sequence_length
        ids = self.preprocessor.encode(list(texts))["encoder_token_ids"]
        pad = self.tokenizer.pad_token_id
        features = {name: np.full((len(ids), length), pad if "token" in name else 0, "int32")
                    for name in self.input_names}
        for row, t in enumerate(ids):
            t = t[:length]
            features["encoder_token_ids"][row, :len(t)] = t
            features["encoder_padding_mask"][row, :len(t)] = 1
        features["decoder_token_ids"][:, 0] = self.decoder_start_token_id
        features["decoder_padding_mask"][:, 0] = 1
        return features


def write_generate_saved_model(model, directory, serve, input_names):
    """Writes a SavedModel of `model` whose `generate` signature runs
    `serve(*inputs)` on int32 `[batch, length]` inputs named `input_names`
    (TensorFlow backend; traced through Keras' `ExportArchive`).

    Returns:
        `directory`.
    """
    import tensorflow as tf  # TensorFlow backend only
    from keras.export import ExportArchive  # with TensorFlow, as above

    with float32_compute(model):  # traced in float32, whatever the training precision
        archive = ExportArchive()
        archive.track(model)
        archive.add_endpoint("generate", serve, input_signature=[
            tf.TensorSpec([None, None], tf.int32, name=name) for name in input_names])
        archive.write_out(os.fspath(directory), verbose=False)
    return directory
