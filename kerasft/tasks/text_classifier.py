"""`TextClassifier`: single-label classification of a text or a text pair."""

import os

import keras
import numpy as np

from kerasft.data.label_vocabulary import LabelVocabulary
from kerasft.errors import ConfigError
from kerasft.evaluation.classification import (
    classification_report,
    format_report,
    write_report,
)
from kerasft.evaluation.plots import plot_confusion_matrix
from kerasft.layers.dense_head import dense_head
from kerasft.layers.pooling import pooled_output, resolve_pooling
from kerasft.tasks.task import Task, register_task

LABELS_FILE = "labels.json"


@register_task
class TextClassifier(Task):
    """A pretrained backbone with a softmax classification head.

    The head is dropout + a Dense layer whose kernel carries an L2
    regularizer; the model outputs class probabilities.

    Args:
        backbone: keras-hub `Backbone`.
        preprocessor: `kerasft.preprocessors.TextPreprocessor`.
        labels: list of label names (str or int), in output order.
        dropout: float. Dropout rate before the Dense layer. Defaults to 0.1.
        l2: float. L2 penalty on the Dense kernel. Defaults to 0.
        pooling: str. `"mean"` (masked mean of token vectors), `"cls"`
            (first token), `"pooled"` (the backbone's pooler, BERT),
            `"last"` (last real token) or `"auto"`: `"last"` on XLNet and
            decoders such as GPT-2 (where their own classifiers read: XLNet
            puts `<cls>` last, and only a decoder's last token has read the
            whole text), `"mean"` on other encoders (it learns fastest from
            sentence-embedding checkpoints such as MiniLM). The resolved
            value is stored. Defaults to `"auto"`.

    Example:
    ```python
    model = kerasft.TextClassifier.from_pretrained(
        "minilm-l6", labels=["neg", "pos"], sequence_length=128)
    model.fit(texts, labels, validation_data=(val_texts, val_labels), epochs=2)
    model.evaluate_report(test_texts, test_labels)
    model.predict_labels(["A gripping, beautiful film."])
    ```
    """

    task_name = "text_classifier"

    def __init__(self, backbone, preprocessor, labels, dropout=0.1, l2=0.0,
                 pooling="auto", **kwargs):
        if not labels or len(labels) < 2:
            raise ConfigError(
                "A classifier needs at least two labels. "
                f"Received: labels={labels!r}"
            )

        vocabulary = LabelVocabulary(list(labels))
        pooling = resolve_pooling(backbone, pooling)
        # === Layers ===
        dropout_layer, dense = dense_head(len(vocabulary), dropout, l2, name="logits")
        softmax = keras.layers.Activation("softmax", dtype="float32", name="probabilities")
        # === Functional Model ===
        inputs = backbone.input
        x = pooled_output(backbone, inputs, pooling)
        outputs = softmax(dense(dropout_layer(x)))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.label_vocabulary = vocabulary
        self.labels = vocabulary.names
        self.dropout = dropout
        self.l2 = l2
        self.pooling = pooling

    def get_task_config(self):
        return {
            "labels": list(self.label_vocabulary.labels),
            "dropout": self.dropout,
            "l2": self.l2,
            "pooling": self.pooling,
        }

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy()

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]

    def encode_targets(self, y, class_weight=None, source=None):
        ids = self.label_vocabulary.encode(list(y), source=source)
        weights = None
        if class_weight is not None:
            weights = self._sample_weights(ids, class_weight)
        return ids, weights

    def _sample_weights(self, ids, class_weight):
        n = len(self.label_vocabulary)
        if isinstance(class_weight, str):
            if class_weight != "balanced":
                raise ConfigError(
                    "`class_weight` must be 'balanced', a dict or None. "
                    f"Received: class_weight={class_weight!r}"
                )
            counts = np.bincount(ids, minlength=n).astype("float64")
            table = np.where(counts > 0, len(ids) / (n * np.maximum(counts, 1)), 0.0)
        else:
            table = np.ones(n)
            for label, weight in class_weight.items():
                index = label if isinstance(label, (int, np.integer)) and label not in \
                    self.label_vocabulary.labels else self.label_vocabulary.encode([label])[0]
                table[int(index)] = weight
        return table[ids].astype("float32")

    def fit_few_shot(self, texts, labels, *, num_iterations=20, epochs=1, batch_size=16,
                     learning_rate=2e-5, loss="cosine_similarity", head_C=1.0, seed=None,
                     callbacks=None, verbose="auto"):
        """Few-shot training (SetFit): contrastive tuning of the backbone on
        pairs of the labelled examples, then a logistic-regression head.

        For a handful of examples per class (8-64), where `fit` overfits.
        Stage 1 tunes the backbone as a `TextEmbedder` sharing it, on
        `2 * num_iterations * len(texts)` pairs (each example with a random
        same-label text, score 1, and a random other-label text, score 0);
        stage 2 fits scikit-learn's `LogisticRegression` on the tuned
        pooled embeddings and writes it into the Dense head. See
        `kerasft.tasks.few_shot`.

        Args:
            texts: list of str.
            labels: their labels, each one of the classifier's `labels`.
            num_iterations: int. Rounds of pair sampling. Defaults to 20.
            epochs: int. Epochs over the pairs. Defaults to 1.
            batch_size: int. Pairs per batch. Defaults to 16.
            learning_rate: float. Peak AdamW rate of stage 1. Defaults to 2e-5.
            loss: `"cosine_similarity"` (SetFit's default) or
                `"multiple_negatives_ranking"` (positive pairs only).
            head_C: float. Inverse L2 strength of the logistic regression.
            seed: int or None. Seeds pair sampling, shuffling and the head.
            callbacks: Keras callbacks of stage 1.

        Returns:
            Stage 1's Keras `History`, with a `few_shot` dict (pairs,
            seconds per stage, the head's training accuracy).

        Raises:
            DataError: a class with fewer than 2 distinct examples, fewer
                than 2 classes, more classes than examples, a label without
                examples, a blank text, or one text with two labels (exact
                duplicates with one label count once).
        """
        from kerasft.tasks.few_shot import fit_few_shot

        return fit_few_shot(self, texts, labels, num_iterations=num_iterations, epochs=epochs,
                            batch_size=batch_size, learning_rate=learning_rate, loss=loss,
                            head_C=head_C, seed=seed, callbacks=callbacks, verbose=verbose)

    def save_extras(self, directory):
        self.label_vocabulary.save(os.path.join(directory, LABELS_FILE))

    @classmethod
    def task_kwargs_from_data(cls, train):
        return {"labels": LabelVocabulary.from_labels(train.labels).labels}

    @staticmethod
    def format_report(report):
        return format_report(report)

    # -- predictions and reports --------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """A `ClassificationSpec`: one `probabilities` output over `labels`."""
        from kerasft.export.spec import ClassificationSpec

        return ClassificationSpec(
            list(self.input), tokenizer or self.preprocessor.tokenizer,
            sequence_length or self.preprocessor.sequence_length, self.labels,
            task_name=self.task_name)

    def predict_records(self, x, batch_size=32):
        """`{"label", "score", "scores"}` per text, decoded by
        `kerasft.decoding.classification` as the exported runners do."""
        from kerasft.decoding import classification

        probabilities = self.predict(x, batch_size=batch_size)
        return classification.decode({"probabilities": probabilities},
                                     {"labels": list(self.label_vocabulary.labels)})

    def explanation_inputs(self, x, target=None):
        """Each text toward its predicted label's probability (or `target`'s)."""
        from kerasft.explain.targets import choose_labels, sequence_inputs

        return sequence_inputs(self, x, choose_labels(self.labels, target))

    def predict_labels(self, x, batch_size=32):
        """Label names of the most probable class for each text."""
        probabilities = self.predict(x, batch_size=batch_size)
        return self.label_vocabulary.decode(np.argmax(probabilities, axis=-1))

    def evaluate_report(self, x, y, output_dir=None, batch_size=32):
        """Accuracy, precision, recall, F1 (macro/micro/weighted/per class)
        and the confusion matrix, computed with scikit-learn.

        Args:
            x: raw texts (or pairs).
            y: true labels.
            output_dir: str or None. If given, writes `metrics.json` and
                `confusion_matrix.png` there.

        Returns:
            dict, see `kerasft.evaluation.classification_report`.
        """

        y_true = self.label_vocabulary.encode(list(y))
        probabilities = self.predict(x, batch_size=batch_size).astype("float64")
        probabilities /= probabilities.sum(axis=-1, keepdims=True)  # float32 rounding
        y_pred = np.argmax(probabilities, axis=-1)
        report = classification_report(y_true, y_pred, self.labels, y_prob=probabilities)
        if output_dir is not None:
            os.makedirs(output_dir, exist_ok=True)
            write_report(report, output_dir)
            plot_confusion_matrix(
                np.asarray(report["confusion_matrix"]), self.labels,
                os.path.join(output_dir, "confusion_matrix.png"))
        return report
