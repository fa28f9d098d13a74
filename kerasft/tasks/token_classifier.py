"""`TokenClassifier`: named-entity recognition (a tag for every word)."""

import os

import keras

from kerasft.data.conll import read_conll, split_token_data, token_data
from kerasft.data.label_vocabulary import LabelVocabulary
from kerasft.data.tag_schemes import (
    entity_types,
    from_iob2,
    iob2_tags,
    split_tag,
    to_iob2,
)
from kerasft.decoding import ner as ner_decoding
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.ner import format_report, ner_report, write_report
from kerasft.layers.dense_head import dense_head
from kerasft.layers.pooling import sequence_output
from kerasft.metrics import MaskedTokenAccuracy
from kerasft.preprocessors.token_classifier_preprocessor import (
    TokenClassifierPreprocessor,
)
from kerasft.tasks.inputs import is_raw_text, split_texts
from kerasft.tasks.task import PADDINGS, Task, register_task

LABELS_FILE = "labels.json"


def _is_token_lists(x):
    """A list of sentences, each a list (or tuple) of words. A tuple of two
    lists stays what it is for every task: sentence pairs."""
    return isinstance(x, list) and len(x) > 0 and all(
        isinstance(s, (list, tuple)) and all(isinstance(t, str) for t in s) for s in x)


@register_task
class TokenClassifier(Task):
    """A pretrained backbone with a per-token softmax over IOB2 tags (NER).

    Trains on pre-split sentences (lists of words) with one tag per word, in
    IOB1, IOB2 or BIOES (normalized to IOB2); predicts on raw strings
    (entities with character offsets) or pre-split sentences. The model
    outputs float32 probabilities `[batch, tokens, num_tags]`.

    Args:
        backbone: keras-hub `Backbone`.
        preprocessor: `kerasft.preprocessors.TokenClassifierPreprocessor`.
        tags: list of str. IOB2 tags in output order: `"O"` and a `B-`/`I-`
            pair per entity type (`kerasft.data.iob2_tags(types)`).
        dropout: float. Dropout before the Dense layer. Defaults to 0.1.
        l2: float. L2 penalty on the Dense kernel. Defaults to 0.

    Example:
    ```python
    train = kerasft.data.read_conll("train.txt")
    model = kerasft.TokenClassifier.from_pretrained(
        "minilm-l6", tags=kerasft.data.iob2_tags(["LOC", "PER"]))
    model.fit(train.tokens, train.tags, epochs=2)
    model.predict(["Angela Merkel visited Paris."])
    # [[{'type': 'PER', 'text': 'Angela Merkel', 'start': 0, 'end': 13, ...}, ...]]
    ```
    """

    task_name = "token_classifier"
    preprocessor_cls = TokenClassifierPreprocessor
    # window_overlap: int or None. Sub-tokens shared by consecutive windows
    # of sentences longer than `sequence_length`; None: half a window.
    preprocessor_options = ("window_overlap",)
    per_token_outputs = True

    def __init__(self, backbone, preprocessor, tags, dropout=0.1, l2=0.0, **kwargs):
        tags = self._check_tags(tags)
        for layer in backbone.layers:  # an unused pooler only draws warnings
            if layer.name in ("pooled_dense", "pooler_dense"):
                layer.trainable = False
        # === Layers ===
        dropout_layer, dense = dense_head(len(tags), dropout, l2, name="logits")
        softmax = keras.layers.Activation("softmax", dtype="float32", name="probabilities")
        # === Functional Model ===
        inputs = backbone.input
        outputs = softmax(dense(dropout_layer(sequence_output(backbone(inputs)))))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.tags = tags
        self.label_vocabulary = LabelVocabulary(tags)
        self.dropout = dropout
        self.l2 = l2

    @staticmethod
    def _check_tags(tags):
        tags = list(tags or [])
        bad = [t for t in tags if not isinstance(t, str) or (
            t != "O" and (split_tag(t)[0] not in ("B", "I") or not split_tag(t)[1]))]
        types = sorted({split_tag(t)[1] for t in tags if t not in bad and t != "O"})
        missing = [t for t in iob2_tags(types) if t not in tags]
        if bad or missing or len(set(tags)) != len(tags) or not types:
            raise ConfigError(
                "Expected IOB2 tags: 'O' plus 'B-X' and 'I-X' for each entity type X, "
                f"each once. Received: tags={tags!r}"
                f"{f' (not IOB2: {bad})' if bad else ''}"
                f"{f' (missing: {missing})' if missing else ''}. Build them with "
                "kerasft.data.iob2_tags(['PER', 'LOC', ...])."
            )
        return tags

    @property
    def entity_types(self):
        return sorted({t[2:] for t in self.tags if t != "O"})

    def get_task_config(self):
        return {"tags": list(self.tags), "dropout": self.dropout, "l2": self.l2}

    def default_loss(self):
        """Cross-entropy averaged over labelled tokens: padding, special
        tokens and continuation sub-words carry -100 and add nothing."""
        return keras.losses.SparseCategoricalCrossentropy(
            ignore_class=ner_decoding.IGNORE_INDEX, name="masked_sparse_categorical_crossentropy")

    def default_metrics(self):
        return [MaskedTokenAccuracy(ignore_index=ner_decoding.IGNORE_INDEX)]

    def save_extras(self, directory):
        self.label_vocabulary.save(os.path.join(directory, LABELS_FILE))

    # -- data ----------------------------------------------------------------
    def _is_raw_input(self, x):
        return is_raw_text(x) or _is_token_lists(x)

    def _words(self, x, name="x"):
        """`(sentences, offsets_or_None)` from raw strings or token lists."""
        if _is_token_lists(x):
            return token_data(x, name=name).tokens, None
        texts, pairs = split_texts(x, name)
        if pairs is not None:
            raise DataError(
                f"Expected single texts for token classification. Received: "
                f"sentence pairs as {name}. Pass one text per example."
            )
        split = [ner_decoding.split_words(t) for t in texts]
        return [w for w, _ in split], [o for _, o in split]

    def encode_targets(self, y, class_weight=None, source=None):
        """Tag lists (any scheme) -> list of tag-id arrays, one per sentence.

        Raises:
            DataError: a tag list does not match its sentence, a tag is not
                in the scheme, or an entity type the model does not know
                (naming the file and line when `y` was read from a file).
        """

        tokens = source if source is not None else [["_"] * len(t) for t in y]
        data = token_data(tokens, y, name="x")
        known = set(self.tags)
        ids = []
        for i, sentence_tags in enumerate(data.tags):
            for j, tag in enumerate(sentence_tags):
                if tag not in known:
                    raise DataError(
                        f"Expected tags of the model's entity types {self.entity_types}. "
                        f"Received: tag={tag!r} at {data.tags.where(i, j)}. Train on data "
                        "with that type, or map it to a known type or 'O'."
                    )
            ids.append(self.label_vocabulary.encode(sentence_tags))
        return ids, None

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, class_weight=None, name="x"):
        """Pre-split sentences (and tags) -> `(tf.data.Dataset, num_batches)`.

        One element per window; targets are per-token tag ids with -100 where
        no word is labelled. `padding` is `"bucket"`, `"longest"` or
        `"max_length"` (see `Task.make_dataset`).
        """
        if class_weight is not None or sample_weight is not None:
            raise ConfigError(
                "TokenClassifier does not take class_weight or sample_weight. "
                f"Received: class_weight={class_weight!r}. Drop it."
            )
        if padding not in PADDINGS:
            raise ConfigError(
                f"`padding` must be one of {PADDINGS}. Received: padding={padding!r}"
            )
        sentences, _ = self._words(x, name)
        encoding = self.preprocessor.encode_words(sentences, progress=True)
        targets = None
        if y is not None:
            tag_ids, _ = self.encode_targets(y, source=sentences)
            targets = self.preprocessor.align_targets(encoding, tag_ids)
        return self.preprocessor.make_dataset(
            encoding.features, targets, batch_size=batch_size, shuffle=shuffle, seed=seed,
            bucket=padding == "bucket",
            pad_multiple=self.preprocessor.sequence_length if padding == "max_length" else 8)

    # -- predictions -----------------------------------------------------------
    def _window_probabilities(self, encoding, batch_size):
        """Model probabilities of each window, unpadded, in window order."""
        return self.preprocessor.predict_by_length(self.predict_on_batch, encoding.features,
                                                   batch_size, multiple=8)

    def predict_word_probabilities(self, x, batch_size=32):
        """Per-word tag probabilities: a `[num_words, num_tags]` array per
        sentence (NaN rows for words the tokenizer drops entirely)."""
        sentences, _ = self._words(x)
        return self._predict_words(sentences, batch_size)

    def _decoding_inputs(self, sentences, batch_size, offsets=None, texts=None):
        """`(outputs, state)` of `kerasft.decoding.ner` for pre-split sentences."""
        encoding = self.preprocessor.encode_words(sentences)
        outputs = {"probabilities": self._window_probabilities(encoding, batch_size)}
        state = {"sentence": encoding.sentence, "word_index": encoding.word_index,
                 "words": sentences, "offsets": offsets, "texts": texts}
        return outputs, state

    def _predict_words(self, sentences, batch_size):
        outputs, state = self._decoding_inputs(sentences, batch_size)
        return ner_decoding.word_probabilities(outputs, self._decoding_config(), state)

    def predict(self, x, batch_size=32, aggregation="mean", **kwargs):
        """Entities in raw texts or pre-split sentences (Keras `predict` on
        tensors and datasets: per-token probabilities).

        Args:
            x: list of str, or list of lists of words.
            batch_size: int. Windows per batch. Defaults to 32.
            aggregation: `"mean"` or `"min"`: an entity's score is the mean
                (or min) over its words of the predicted tag's probability.

        Returns:
            A list (one per input) of entity dicts: `type`, `text`, `score`,
            `word_start`/`word_end` (word indices, end exclusive) and, for
            raw strings, `start`/`end` character offsets with
            `text[start:end] == entity["text"]`.
        """
        if not self._is_raw_input(x):
            return super().predict(x, batch_size=batch_size, **kwargs)
        sentences, offsets = self._words(x)
        probabilities = self._predict_words(sentences, batch_size)
        return self._entities(x, sentences, offsets, probabilities, aggregation)

    def explanation_inputs(self, x, target=None):
        """One target per predicted entity: the mean probability of its tags
        on its words. `target`: entity types to keep (None: all)."""
        from kerasft.explain.token_targets import entity_inputs

        return entity_inputs(self, x, target)

    def _entities(self, x, sentences, offsets, probabilities, aggregation="mean"):
        return [ner_decoding.decode_entities(
                    p, self.tags, words, None if offsets is None else offsets[i],
                    None if offsets is None else x[i], aggregation)
                for i, (p, words) in enumerate(zip(probabilities, sentences))]

    def _tags(self, probabilities, scheme="iob2"):
        return [from_iob2(to_iob2(ner_decoding.decode_words(p, self.tags)[0]), scheme)
                for p in probabilities]

    def predict_tags(self, x, batch_size=32, scheme="iob2"):
        """Tag lists for pre-split sentences (or raw texts, split into words).

        Args:
            x: list of lists of words, or list of str.
            batch_size: int. Windows per batch. Defaults to 32.
            scheme: str. Output scheme: `"iob2"`, `"iob1"` or `"bioes"`.
                Defaults to `"iob2"`.
        """
        return self._tags(self.predict_word_probabilities(x, batch_size), scheme)

    def predict_records(self, x, batch_size=32):
        """JSON-ready `{"entities": [...]}` per input (plus `"tags"` for
        pre-split sentences), decoded by `kerasft.decoding.ner.decode` as
        the exported runners do."""
        sentences, offsets = self._words(x)
        outputs, state = self._decoding_inputs(sentences, batch_size, offsets,
                                               None if offsets is None else list(x))
        config = self._decoding_config()
        records = ner_decoding.decode(outputs, config, state)
        if offsets is not None:
            return records
        tags = self._tags(ner_decoding.word_probabilities(outputs, config, state))
        return [{**r, "tags": t} for r, t in zip(records, tags)]

    def evaluate_report(self, x, y, output_dir=None, batch_size=32):
        """Entity-level precision, recall and F1 (seqeval; per type, micro,
        macro, weighted) and token accuracy.

        Args:
            x: list of lists of words.
            y: list of tag lists (IOB1, IOB2 or BIOES).
            output_dir: str or None. If given, writes `metrics.json` there.

        Returns:
            dict, see `kerasft.evaluation.ner_report`.
        """

        if not _is_token_lists(x):
            raise DataError(
                "Expected pre-split sentences (lists of words) to evaluate "
                f"against tags. Received: x of type {type(x).__name__}. Read "
                "labelled data with kerasft.data.read_conll."
            )
        data = token_data(x, y)
        self.encode_targets(data.tags, source=data.tokens)  # unknown types
        predicted = self.predict_tags(data.tokens, batch_size=batch_size)
        report = ner_report(list(data.tags), predicted)
        if output_dir is not None:
            write_report(report, output_dir)
        return report

    # -- export ----------------------------------------------------------------
    def _decoding_config(self, tokenizer=None):
        """The `task_config` of `kerasft.decoding.ner` (also exported)."""
        tokenizer = tokenizer or self.preprocessor.tokenizer
        return {"labels": list(self.tags), "window_overlap": self.preprocessor.window_overlap,
                "padding_side": tokenizer.padding_side}

    def export_spec(self, tokenizer=None, sequence_length=None):
        """`ExportSpec` of the fixed-length forward pass: the backbone inputs
        (int32 `[batch, sequence_length]`) -> `probabilities` (float32
        `[batch, sequence_length, num_tags]`), labels = the IOB2 tags.
        Runners turn those into entities with `kerasft/decoding/ner.py`
        (numpy only, shipped in the export): `prepare`, then `decode`."""
        from kerasft.export.token_spec import TokenClassificationSpec

        tokenizer = tokenizer or self.preprocessor.tokenizer
        return TokenClassificationSpec(
            list(self.input), tokenizer, sequence_length or self.preprocessor.sequence_length,
            self.tags, self._decoding_config(tokenizer), task_name=self.task_name)

    # -- runs (CLI / YAML) ---------------------------------------------------
    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Reads a CoNLL file. `data.text_column` / `data.label_column` may
        be column indices; otherwise tokens are the first column and tags
        the last."""

        token_column = data_config.get("text_column")
        tag_column = data_config.get("label_column")
        return read_conll(
            path, token_column=token_column if isinstance(token_column, int) else 0,
            tag_column=tag_column if isinstance(tag_column, int) else -1,
            encoding=data_config.get("encoding", "utf-8"),
            require_tags=require_labels and tag_column is not None)

    @classmethod
    def split_data(cls, data, fraction, seed):
        return split_token_data(data, fraction, seed)

    @classmethod
    def inputs_targets(cls, data):
        return data.tokens, data.tags

    @classmethod
    def parity_inputs(cls, x, y):
        """Sentences joined by spaces (the forward pass is compared; the
        entity decoding is tested against the runners)."""
        return [" ".join(words) for words in x], None

    @classmethod
    def task_kwargs_from_data(cls, train):
        return {"tags": iob2_tags(entity_types(train.tags))}

    @classmethod
    def model_config_defaults(cls):
        return {"window_overlap": None}

    @staticmethod
    def format_report(report):
        return format_report(report)
