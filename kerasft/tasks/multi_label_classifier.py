"""`MultiLabelClassifier`: any number of labels per text (or text pair).

Labels are given per example as a list of names (`["anger", "fear"]`) or as
a multi-hot matrix. The model outputs one sigmoid probability per label; a
per-label decision threshold, tuned on validation data to maximize that
label's F1 and saved with the model, turns probabilities into label lists.
"""

import os

import keras
import numpy as np

from kerasft.data.label_vocabulary import LabelVocabulary
from kerasft.data.multi_label import (
    column_key,
    flatten_labels,
    parse_label_lists,
    read_multi_label,
)
from kerasft.data.splits import train_test_split
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.classification import write_report
from kerasft.evaluation.multi_label import (
    DEFAULT_GRID,
    format_report,
    multi_label_report,
)
from kerasft.evaluation.multi_label import tune_thresholds as tune
from kerasft.layers.dense_head import dense_head
from kerasft.layers.pooling import pooled_output, resolve_pooling
from kerasft.tasks.task import Task, register_task

LABELS_FILE = "labels.json"


@register_task
class MultiLabelClassifier(Task):
    """A pretrained backbone with a sigmoid head: one probability per label.

    Trained with binary cross-entropy. `fit` with validation data tunes a
    decision threshold per label (the one maximizing the label's F1 on the
    validation set, see `kerasft.evaluation.tune_thresholds`); without it,
    every threshold is 0.5. Labels and thresholds are saved with the model.

    Args:
        backbone: keras-hub `Backbone`.
        preprocessor: `kerasft.preprocessors.TextPreprocessor`.
        labels: list of label names (str or int), in output order.
        thresholds: list of float in (0, 1), dict name -> float, or None.
            Decision threshold of each label. Defaults to 0.5 for every label.
        dropout: float. Dropout rate before the Dense layer. Defaults to 0.1.
        l2: float. L2 penalty on the Dense kernel. Defaults to 0.
        pooling: str. `"auto"`, `"mean"`, `"cls"`, `"pooled"` or `"last"`
            (see `TextClassifier`). Defaults to `"auto"`.
        allow_empty_labels: bool. Whether an example may have no label at all
            (its targets are all 0). Off by default, so an empty label list
            is reported as a data error rather than learnt as "no label".
            In a run config, set `data.reader_options.allow_empty_labels`;
            the model follows the data.

    Example:
    ```python
    model = kerasft.MultiLabelClassifier.from_pretrained(
        "minilm-l6", labels=["anger", "fear", "joy"])
    model.fit(texts, [["anger"], ["fear", "joy"], ...],
              validation_data=(val_texts, val_labels), epochs=2)
    model.evaluate_report(test_texts, test_labels)   # micro/macro F1, ...
    model.predict_labels(["What a lovely surprise!"])  # [["joy"]]
    ```
    """

    task_name = "multi_label_classifier"

    def __init__(self, backbone, preprocessor, labels, thresholds=None, dropout=0.1,
                 l2=0.0, pooling="auto", allow_empty_labels=False, **kwargs):
        if not labels:
            raise ConfigError(
                "A multi-label classifier needs at least one label. "
                f"Received: labels={labels!r}. Pass the label names."
            )
        vocabulary = LabelVocabulary(list(labels))
        # === Layers ===
        dropout_layer, dense = dense_head(len(vocabulary), dropout, l2, name="logits")
        sigmoid = keras.layers.Activation("sigmoid", dtype="float32", name="probabilities")
        # === Functional Model ===
        inputs = backbone.input
        pooling = resolve_pooling(backbone, pooling)
        x = pooled_output(backbone, inputs, pooling)
        outputs = sigmoid(dense(dropout_layer(x)))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.label_vocabulary = vocabulary
        self.labels = vocabulary.names
        self.thresholds = self._check_thresholds(thresholds)
        self.dropout = dropout
        self.l2 = l2
        self.pooling = pooling
        self.allow_empty_labels = allow_empty_labels

    def _check_thresholds(self, thresholds):
        k = len(self.label_vocabulary)
        if thresholds is None:
            return np.full(k, 0.5)
        if isinstance(thresholds, dict):
            unknown = sorted(set(map(str, thresholds)) - set(self.labels))
            if unknown:
                raise ConfigError(
                    f"Thresholds must be keyed by the model's labels {self.labels}. "
                    f"Received: unknown labels {unknown}."
                )
            named = {str(name): value for name, value in thresholds.items()}
            thresholds = [named.get(name, 0.5) for name in self.labels]
        values = np.asarray(thresholds, dtype="float64")
        if values.shape != (k,) or not np.all((values > 0) & (values < 1)):
            raise ConfigError(
                f"Expected {k} thresholds in (0, 1), one per label. Received: "
                f"thresholds={np.asarray(thresholds).tolist()}. Pass a list in label "
                "order or a dict label -> threshold."
            )
        return values

    def get_task_config(self):
        return {
            "labels": list(self.label_vocabulary.labels),
            "thresholds": [float(t) for t in self.thresholds],
            "dropout": self.dropout,
            "l2": self.l2,
            "pooling": self.pooling,
            "allow_empty_labels": self.allow_empty_labels,
        }

    def default_loss(self):
        return keras.losses.BinaryCrossentropy()

    def default_metrics(self):
        return [keras.metrics.F1Score(average="micro", threshold=0.5, name="micro_f1")]

    def encode_targets(self, y, class_weight=None, source=None):
        """Label lists (or a multi-hot matrix) -> float32 multi-hot targets.

        Raises:
            DataError: an unknown label, an example without labels (unless
                `allow_empty_labels`), or a multi-hot matrix of the wrong
                shape or with values other than 0 and 1.
            ConfigError: `class_weight` was passed to `fit`.
        """
        if class_weight is not None:
            raise ConfigError(
                "`class_weight` applies to single-label classifiers. Received: "
                f"class_weight={class_weight!r}. Drop it (to weight rare "
                "labels, lower their thresholds or oversample their examples)."
            )
        name = source or "y"
        k = len(self.label_vocabulary)
        if isinstance(y, np.ndarray) and y.ndim == 2 and y.dtype.kind in "biuf":
            if y.shape[1] != k or not np.isin(y, (0, 1)).all():
                raise DataError(
                    f"Expected a multi-hot matrix of 0/1 with {k} columns (one per "
                    f"label: {self.labels}). Received: {name} with shape {y.shape}"
                    f"{'' if y.shape[1] != k else ' and values other than 0 and 1'}. "
                    "Pass label lists, or a matrix in label order."
                )
            targets = y.astype("float32")
        else:
            lists = parse_label_lists(y, name, split_strings=False,
                                      label_type=type(self.label_vocabulary.labels[0]))
            ids = {label: i for i, label in enumerate(self.label_vocabulary.labels)}
            targets = np.zeros((len(lists), k), dtype="float32")
            for row, labels in enumerate(lists):
                for label in labels:
                    if label not in ids:
                        raise DataError(
                            f"Expected labels among {self.label_vocabulary.labels}. "
                            f"Received: label={label!r} at row index {row} of {name}. "
                            "Fix the label, or build the model with every label."
                        )
                    targets[row, ids[label]] = 1.0
        if not self.allow_empty_labels:
            empty = np.flatnonzero(targets.sum(1) == 0)
            if empty.size:
                raise DataError(
                    f"Expected at least one label per example. Received: no labels "
                    f"at row index {int(empty[0])} of {name} ({empty.size} such "
                    "examples). Fill in the labels, or pass allow_empty_labels=True "
                    "to the model if examples without labels are intended."
                )
        return targets, None

    def save_extras(self, directory):
        self.label_vocabulary.save(os.path.join(directory, LABELS_FILE))

    # -- training ------------------------------------------------------------
    def fit(self, x=None, y=None, *, validation_data=None, tune_thresholds=True,
            initialize_bias=True, **kwargs):
        """Trains as `Task.fit`; then tunes the thresholds on validation data.

        Args:
            tune_thresholds: bool. With raw-text `validation_data`, set each
                label's threshold to the one maximizing its validation F1.
                Defaults to `True`.
            initialize_bias: bool. When the output bias is still all zeros
                (a new head), set it to each label's log-odds in `y`, so
                training starts from the label frequencies rather than from
                p=0.5 for every label (with many rare labels, a short
                fine-tuning run barely moves the bias from there). Defaults
                to `True`.
            **kwargs: see `Task.fit`.
        """
        bias = self.get_layer("logits").bias
        if initialize_bias and y is not None and self._is_raw_input(x) and \
                not np.any(keras.ops.convert_to_numpy(bias)):
            targets, _ = self.encode_targets(y)
            # Smoothed frequencies keep labels absent from `y` finite.
            frequency = (targets.sum(0) + 0.5) / (len(targets) + 1.0)
            bias.assign(np.log(frequency / (1.0 - frequency)).astype(bias.dtype))
        history = super().fit(x, y, validation_data=validation_data, **kwargs)
        if tune_thresholds and validation_data is not None and \
                self._is_raw_input(validation_data[0]):
            self.tune_thresholds(*validation_data, batch_size=kwargs.get("batch_size", 32))
        return history

    def tune_thresholds(self, x, y, grid=None, batch_size=32):
        """Sets each label's threshold to the one maximizing its F1 on `(x, y)`.

        Labels without a positive example in `y` get 0.5.

        Returns:
            dict label name -> threshold.
        """

        targets, _ = self.encode_targets(y, source="validation y")
        probabilities = self.predict(x, batch_size=batch_size)
        self.thresholds = tune(targets, probabilities, grid=grid or DEFAULT_GRID)
        return dict(zip(self.labels, self.thresholds.tolist()))

    # -- export ----------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """`MultiLabelSpec`: the backbone inputs -> sigmoid `probabilities`
        `[batch, num_labels]`; the thresholds go into `export_config.json`
        and the runners report the labels at or above them."""
        from kerasft.export.spec import MultiLabelSpec

        return MultiLabelSpec(list(self.input), tokenizer or self.preprocessor.tokenizer,
                              sequence_length or self.preprocessor.sequence_length,
                              self.labels, self.thresholds, task_name=self.task_name)

    # -- hooks used by runs (CLI/YAML) ---------------------------------------
    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Reads a file with `read_multi_label`; `data.reader_options` holds
        its extra arguments (`label_separator`, `label_names`, `header`,
        `delimiter`, `allow_empty_labels`)."""
        options = dict(data_config.get("reader_options") or {})
        columns = {key: column_key(data_config.get(key), options) for key in
                   ("text_column", "label_column", "text_pair_column")}
        if not require_labels:
            columns["label_column"] = None
        return read_multi_label(path, **columns, encoding=data_config.get("encoding", "utf-8"),
                                require_labels=require_labels, **options)

    @classmethod
    def split_data(cls, data, fraction, seed):
        return train_test_split(data, test_size=fraction, seed=seed, stratify=False)

    @classmethod
    def task_kwargs_from_data(cls, train):
        """Labels (sorted) and, when the reader was told to allow examples
        without labels (`data.reader_options.allow_empty_labels`) and met
        some, `allow_empty_labels=True`."""
        labels = LabelVocabulary.from_labels(flatten_labels(train.labels)).labels
        kwargs = {"labels": labels}
        if any(not example for example in train.labels):
            kwargs["allow_empty_labels"] = True  # the reader was told to allow them
        return kwargs

    @staticmethod
    def format_report(report):
        return format_report(report)

    # -- predictions and reports --------------------------------------------
    def predict_labels(self, x, batch_size=32, thresholds=None):
        """The labels whose probability reaches their threshold, per text.

        Args:
            x: raw texts (or pairs).
            thresholds: array of `num_labels` floats, or None for the model's.

        Returns:
            A list with one list of labels (possibly empty) per text.
        """
        probabilities = self.predict(x, batch_size=batch_size)
        chosen = probabilities >= (self.thresholds if thresholds is None else
                                   np.asarray(thresholds))
        labels = self.label_vocabulary.labels
        return [[labels[j] for j in np.flatnonzero(row)] for row in chosen]

    def explanation_inputs(self, x, target=None):
        """Each text toward every predicted label's probability (the top one
        when none reaches its threshold), or toward `target` (label names)."""
        from kerasft.explain.targets import choose_labels, sequence_inputs

        return sequence_inputs(self, x, choose_labels(self.labels, target, self.thresholds))

    def predict_records(self, x, batch_size=32):
        """`{"labels", "scores"}` per text, decoded by
        `kerasft.decoding.multi_label` as the exported runners do."""
        from kerasft.decoding import multi_label

        probabilities = self.predict(x, batch_size=batch_size)
        return multi_label.decode({"probabilities": probabilities},
                                  {"labels": list(self.labels), "thresholds": self.thresholds})

    def evaluate_report(self, x, y, output_dir=None, batch_size=32):
        """Micro/macro F1, per-label precision/recall/F1/support, subset
        accuracy and Hamming loss at the model's thresholds (scikit-learn).

        Args:
            x: raw texts (or pairs).
            y: true label lists, or a multi-hot matrix.
            output_dir: str or None. If given, writes `metrics.json` there.

        Returns:
            dict, see `kerasft.evaluation.multi_label_report`, plus
            `"thresholds"` (`{label: threshold}`).
        """

        y_true, _ = self.encode_targets(y)
        probabilities = self.predict(x, batch_size=batch_size)
        y_pred = probabilities >= self.thresholds
        report = multi_label_report(y_true, y_pred, self.labels, y_prob=probabilities)
        report["thresholds"] = dict(zip(self.labels, self.thresholds.tolist()))
        if output_dir is not None:
            write_report(report, output_dir)
        return report
