"""`bench/export_bench.py --data conll`: NER (CoNLL-2003) for the export bench.

Builds the `TokenClassifier` the bench fine-tunes, and scores each exported
`.tflite` file with seqeval entity F1: its per-token probabilities on the
word windows of `TokenClassifierPreprocessor.encode_words`, decoded by
`kerasft.decoding.ner` exactly as `TokenClassifier.predict_tags` decodes
Keras' (the same windows, the same first-sub-token merge, the same IOB2
repair). The parity gate itself compares per-token top-1 agreement over the
real tokens of the held-out sentences joined by spaces.
"""

import os


def build_model(train_tags, args):
    """A `TokenClassifier` on MiniLM (truncated to `args.layers`) with the
    IOB2 tags of the training sentences."""
    import kerasft
    from kerasft.data import entity_types, iob2_tags

    return kerasft.TokenClassifier.from_pretrained(
        "minilm-l6", tags=iob2_tags(entity_types(train_tags)),
        sequence_length=args.sequence_length,
        backbone_config={"num_layers": args.layers} if args.layers else None)


def tflite_tags(model, path, sentences):
    """IOB2 tag lists of `sentences` from the `.tflite` at `path`, decoded
    as `model.predict_tags` decodes the Keras model's outputs."""
    from kerasft.decoding import ner as ner_decoding
    from kerasft.export import runtimes

    spec = model.export_spec()
    encoding = model.preprocessor.encode_words(sentences)
    features = model.preprocessor.pad(encoding.features, model.preprocessor.sequence_length)
    outputs = runtimes.TFLiteRunner(path, spec).predict(features)
    state = {"sentence": encoding.sentence, "word_index": encoding.word_index,
             "words": sentences, "offsets": None, "texts": None}
    probabilities = ner_decoding.word_probabilities(outputs, model._decoding_config(), state)
    return model._tags(probabilities)


def entity_f1(truth, predicted):
    """seqeval entity-level micro F1 (CoNLL semantics)."""
    from kerasft.evaluation.ner import ner_report

    return float(ner_report(truth, predicted)["f1"])


def add_entity_f1(model, sentences, tags, rows, paths):
    """Adds `entity_f1` to each row whose `(format, quantization)` has a
    file in `paths`; returns Keras' entity F1 on the same sentences."""
    keras_f1 = entity_f1(tags, model.predict_tags(sentences, batch_size=64))
    for row in rows:
        path = paths.get((row["format"], row["quantization"]))
        if row["format"] == "keras":
            row["entity_f1"] = keras_f1
        elif path and os.path.exists(path):
            row["entity_f1"] = entity_f1(tags, tflite_tags(model, path, sentences))
    return keras_f1
