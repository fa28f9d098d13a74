"""`MultiLabelClassifier`: any number of labels per text (or text pair).

Labels are given per example as a list of names (`["anger", "fear"]`) or as
a multi-hot matrix. The model outputs one sigmoid probability per label; a
per-label decision threshold, tuned on validation data to maximize that
label's F1 and saved with the model, turns probabilities into label lists.
"""

import json
import os

import keras
import numpy as np

from kerasft.data.label_vocabulary import LabelVocabulary
from kerasft.data.readers import read_columns
from kerasft.data.text_data import TextData, check_texts, where
from kerasft.errors import ConfigError, DataError
from kerasft.tasks.heads import pooled_output, resolve_pooling
from kerasft.tasks.task import Task, register_task

LABELS_FILE = "labels.json"


# === Data ===
def _label_items(value, separator, place):
    """One example's labels as a list of str/int items."""
    if isinstance(value, str):
        value = value.strip()
        if not value.startswith("["):
            return [v.strip() for v in value.split(separator) if v.strip()]
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise DataError(
                f"Expected a JSON list of labels at {place}. Received: labels="
                f"{value[:60]!r} ({e.msg}). Fix the list, e.g. [\"anger\", \"fear\"]."
            ) from e
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    items = list(value) if isinstance(value, (list, tuple, set)) else [value]
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, np.integer)):
            raise DataError(
                f"Expected labels that are str or int at {place}. Received: "
                f"label={item!r} ({type(item).__name__}). Give each example a "
                "list of label names, e.g. ['anger', 'fear']."
            )
    return [item.strip() if isinstance(item, str) else int(item) for item in items]


def parse_label_lists(values, source="y", lines=None, separator=",",
                      split_strings=True, label_type=None):
    """Label lists, one per example, with one label type (int or str).

    An example's labels are a list (tuple, set, array), a JSON list string
    (`'["anger", "fear"]'`) or, with `split_strings`, labels joined by
    `separator` (`"anger,fear"`). Repeats count once. With `label_type`
    None, labels that are all integers (`3` or `"3"`) become int, otherwise
    str; `label_type=int` converts what looks like an int, `str` everything.

    Raises:
        DataError: a label that is not str or int, a bad JSON list, or a bare
            string when `split_strings=False`; each names the row or line.
    """
    lists = []
    for i, value in enumerate(values):
        place = where(source, lines, i)
        if isinstance(value, str) and not split_strings:
            raise DataError(
                f"Expected a list of labels per example at {place}. Received: "
                f"{value!r}, a string. Pass [[...], ...] (e.g. [['anger', 'fear']]),"
                " or read files with read_multi_label, which splits label strings."
            )
        lists.append(list(dict.fromkeys(_label_items(value, separator, place))))
    def is_int(v):
        return isinstance(v, int) or v.lstrip("+-").isdigit()

    if label_type is None:
        label_type = int if all(is_int(v) for v in flatten_labels(lists)) else str
    if label_type is int:
        return [[int(v) if is_int(v) else v for v in labels] for labels in lists]
    return [[str(v) for v in labels] for labels in lists]


def column_key(column, reader_options):
    """A column as the reader wants it: command-line `"1"` -> `1` for
    headerless files (`header: false` in the reader options)."""
    if reader_options.get("header", True) is False and isinstance(column, str) and \
            column.isdigit():
        return int(column)
    return column


def flatten_labels(lists):
    """All labels of all examples, in order."""
    return [label for labels in lists for label in labels]


def _label_names(label_names):
    if not isinstance(label_names, (str, os.PathLike)):
        return list(label_names)
    path = os.fspath(label_names)
    if not os.path.isfile(path):
        raise DataError(
            "Expected a file of label names, one per line. Received: "
            f"label_names={path!r}, which does not exist. Check the path."
        )
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f.read().split("\n") if line.strip()]


def _apply_label_names(labels, names, source, lines):
    for i, example in enumerate(labels):
        bad = [v for v in example if not isinstance(v, int) or not 0 <= v < len(names)]
        if bad:
            raise DataError(
                f"Expected label ids in [0, {len(names)}) indexing label_names at "
                f"{where(source, lines, i)}. Received: label={bad[0]!r}. Fix the "
                "id, or drop label_names if the labels are names already."
            )
    return [[names[v] for v in example] for example in labels]


def read_multi_label(source, text_column="text", label_column="labels",
                     text_pair_column=None, label_separator=",", label_names=None,
                     allow_empty_labels=False, encoding="utf-8", delimiter=None,
                     header=True, require_labels=True):
    """Reads texts and label lists from a file, a DataFrame or a dict of lists.

    The label column holds each example's labels joined by `label_separator`
    (`anger,fear`), or a JSON list (`["anger", "fear"]`; in CSV, as a
    string), or in memory a list. Headerless files (`header=False`) are split
    on the delimiter with quoting disabled and columns are 0-based indices:
    GoEmotions reads with `text_column=0, label_column=1, header=False,
    label_names="labels.txt"`.

    Args:
        source: str, PathLike, `pandas.DataFrame` or dict of lists.
        text_column, label_column, text_pair_column: column names, or 0-based
            indices with `header=False`. `label_column=None` reads no labels.
        label_separator: str. Separator of labels in a string. Defaults to ",".
        label_names: list, path of a file with one name per line, or None.
            When given, labels are integer ids into it, replaced by the names.
        allow_empty_labels: bool. Whether an example may have no label. Off
            by default: an empty label cell is more often a mistake than a
            statement, so it is a data error naming the line.
        encoding, delimiter: as in `read_texts`.
        header: bool. Whether the file has a header line. Defaults to `True`.
        require_labels: bool. Whether a missing label column is an error.

    Returns:
        A `TextData` whose `labels` are lists of int or str labels.

    Raises:
        DataError: as `read_texts`, plus an empty label list (without
            `allow_empty_labels`), a label id outside `label_names`, or a bad
            JSON list; each names the file and line (or row index).
    """
    columns = {text_column: "text_column"}
    if text_pair_column is not None:
        columns[text_pair_column] = "text_pair_column"
    if label_column is not None:
        columns[label_column] = "label_column"
    optional = () if require_labels else (label_column,)
    values, lines, name = read_columns(source, columns, optional, encoding=encoding,
                                       delimiter=delimiter, header=header)
    texts = check_texts(values[text_column], str(text_column), name, lines)
    pairs = None
    if text_pair_column is not None:
        pairs = check_texts(values[text_pair_column], str(text_pair_column), name, lines)
    labels = None
    if label_column is not None and label_column in values:
        labels = parse_label_lists(values[label_column], name, lines, label_separator)
        if label_names is not None:
            labels = _apply_label_names(labels, _label_names(label_names), name, lines)
        empty = next((i for i, example in enumerate(labels) if not example), None)
        if empty is not None and not allow_empty_labels:
            raise DataError(
                f"Expected at least one label in column {label_column!r} at "
                f"{where(name, lines, empty)}. Received: labels="
                f"{values[label_column][empty]!r}. Fill in the labels, or pass "
                "allow_empty_labels=True if examples without labels are intended "
                "(the model then learns to predict none for them)."
            )
    return TextData(texts=texts, pairs=pairs, labels=labels, source=name)


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
        if not 0.0 <= dropout < 1.0:
            raise ConfigError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")
        if l2 < 0:
            raise ConfigError(f"`l2` must be >= 0. Received: l2={l2}")
        vocabulary = LabelVocabulary(list(labels))
        # === Layers ===
        dropout_layer = keras.layers.Dropout(dropout, name="head_dropout")
        dense = keras.layers.Dense(
            len(vocabulary),
            kernel_regularizer=keras.regularizers.L2(l2) if l2 else None,
            name="logits",
        )
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
        self._class_weight = None

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

    def encode_targets(self, y, source=None):
        """Label lists (or a multi-hot matrix) -> float32 multi-hot targets.

        Raises:
            DataError: an unknown label, an example without labels (unless
                `allow_empty_labels`), or a multi-hot matrix of the wrong
                shape or with values other than 0 and 1.
            ConfigError: `class_weight` was passed to `fit`.
        """
        if self._class_weight is not None:
            raise ConfigError(
                "`class_weight` applies to single-label classifiers. Received: "
                f"class_weight={self._class_weight!r}. Drop it (to weight rare "
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
        from kerasft.evaluation.multi_label import DEFAULT_GRID
        from kerasft.evaluation.multi_label import tune_thresholds as tune

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
        from kerasft.data.splits import train_test_split

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
        from kerasft.evaluation.multi_label import format_report

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
        from kerasft.evaluation.classification import write_report
        from kerasft.evaluation.multi_label import multi_label_report

        y_true, _ = self.encode_targets(y)
        probabilities = self.predict(x, batch_size=batch_size)
        y_pred = probabilities >= self.thresholds
        report = multi_label_report(y_true, y_pred, self.labels, y_prob=probabilities)
        report["thresholds"] = dict(zip(self.labels, self.thresholds.tolist()))
        if output_dir is not None:
            write_report(report, output_dir)
        return report
