"""SavedModel export through Keras' own `ExportArchive`.

Two signatures, TF Serving style (write to a versioned directory such as
`saved_model/1/`):

- `serving_default`: `text` (string `[batch]`) -> the task outputs (for a
  classifier `probabilities` float32 `[batch, num_labels]` and `label`
  string `[batch]`); the tokenizer runs in the graph (`text_graph`).
- `serving_ids`: the model inputs (int32 `[batch, sequence]`, any batch and
  length) -> the task outputs.

`export_fixed_saved_model` writes the intermediate SavedModel that TFLite is
converted from: one signature with fixed `[batch_size, sequence_length]`
inputs. Tracing through `ExportArchive` (as `model.export` does) is the
measured path: it converts with exact parity.
"""

import tensorflow as tf

from kerasft.export.text_graph import InGraphTokenizer, supports_in_graph

TEXT_SIGNATURE = "serving_default"
IDS_SIGNATURE = "serving_ids"
TEXT_INPUT = "text"


def _archive():
    from keras.export import ExportArchive

    return ExportArchive()


def _ids_signature(spec, batch_size=None, sequence_length=None):
    return [{name: tf.TensorSpec([batch_size, sequence_length], tf.int32, name=name)
             for name in spec.input_names}]


def _call(model, spec, features):
    inputs = {name: features[name] for name in spec.input_names}
    return model(inputs, training=False)


def export_saved_model(model, spec, directory, text_signature=True):
    """Writes a servable SavedModel of `model` to `directory`.

    Args:
        model: the Keras task model.
        spec: `ExportSpec`.
        directory: str. Where to write (a versioned folder, `.../1`).
        text_signature: bool. Add the raw-string `serving_default`
            signature (WordPiece tokenizers and tasks whose input is one
            text, `spec.text_signature`; otherwise `serving_default` takes
            ids).

    Returns:
        list of str: the signature names written.
    """
    archive = _archive()
    archive.track(model)

    def serve_ids(features):
        return spec.named_outputs(_call(model, spec, features))

    archive.add_endpoint(IDS_SIGNATURE, serve_ids, input_signature=_ids_signature(spec))
    signatures = [IDS_SIGNATURE]
    if text_signature and spec.text_signature and supports_in_graph(spec.tokenizer):
        tokenizer = InGraphTokenizer(spec.tokenizer, spec.sequence_length)
        archive.track(tokenizer)

        def serve_text(text):
            return spec.serving_outputs(_call(model, spec, tokenizer(text)))

        archive.add_endpoint(
            TEXT_SIGNATURE, serve_text,
            input_signature=[tf.TensorSpec([None], tf.string, name=TEXT_INPUT)],
        )
        signatures.insert(0, TEXT_SIGNATURE)
    else:
        archive.add_endpoint(TEXT_SIGNATURE, serve_ids, input_signature=_ids_signature(spec))
        signatures.insert(0, TEXT_SIGNATURE)
    archive.write_out(directory, verbose=False)
    return signatures


def export_fixed_saved_model(model, spec, directory, batch_size=1):
    """Writes a SavedModel with one `serving_default` signature over fixed
    `[batch_size, spec.sequence_length]` int32 inputs (the TFLite source)."""
    archive = _archive()
    archive.track(model)
    archive.add_endpoint(
        TEXT_SIGNATURE,
        lambda features: spec.named_outputs(_call(model, spec, features)),
        input_signature=_ids_signature(spec, batch_size, spec.sequence_length),
    )
    archive.write_out(directory, verbose=False)
