"""`QuestionAnswerer`: extractive question answering (SQuAD v1.1 and v2.0).

The model reads `[CLS] question [SEP] context [SEP]` windows and scores every token as the
start and as the end of the answer. Long contexts are cut into windows that overlap by
`doc_stride` tokens; the best span over all windows of a question wins (`kerasft.decoding.qa`).

Inputs and outputs (the contract exporters and runners rely on):

- inputs, int32 `[batch, sequence]`: `token_ids`, `segment_ids`,
  `padding_mask` — MediaPipe / TFLite Support `BertQuestionAnswerer` call
  them `ids`, `segment_ids` and `mask`. Segment ids are 0 on
  `[CLS] question [SEP]` and 1 on `context [SEP]`; for backbones without a
  segment embedding (RoBERTa, DistilBERT) the model still takes them, to
  find the context.
- outputs, float32 `[batch, sequence]`, a dict in this order: `end_logits`,
  `start_logits` (BertQuestionAnswerer reads index 0 as end, 1 as start
  when a model has no metadata). Logits outside the context are set to
  -10000, except the CLS token, which stands for "no answer": position 0,
  or the last real token for XLNet (`question <sep> context <sep> <cls>`).
  Windows are right-padded for every backbone, XLNet included (its relative
  attention gives the same states; measured 2.4e-7).

Training targets are the start and end tokens of the first gold answer in each window; windows
that do not hold the whole answer, and unanswerable (v2.0) questions, point to CLS (as Hugging
Face `run_qa` does, for v1.1 as well). The loss is the mean of the start and end sparse cross-
entropies.
"""

import os

import keras
import numpy as np

from kerasft.backbones.loader import max_sequence_length
from kerasft.data.squad import SquadData, read_squad, split_squad
from kerasft.decoding import qa as qa_decoding
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.squad import (
    format_squad_report,
    score_question,
    squad_report,
    write_squad_report,
)
from kerasft.layers.dense_head import dense_head
from kerasft.layers.pooling import sequence_output
from kerasft.layers.span_logits import SpanLogits
from kerasft.preprocessors.question_answerer_preprocessor import (
    QuestionAnswererPreprocessor,
    check_pairs,
)
from kerasft.tasks.inputs import question_context_pairs
from kerasft.tasks.task import Task, register_task
from kerasft.utils.arguments import positive_int

PROBE_QUESTION = "What is this about?"


@register_task
class QuestionAnswerer(Task):
    """A pretrained encoder that points at the answer span in a context.

    Args:
        backbone: keras-hub `Backbone` (BERT-like, right padded).
        preprocessor: `QuestionAnswererPreprocessor`.
        dropout: float. Dropout on token vectors before the span layer.
            Defaults to 0.0 (as Hugging Face's QA heads).
        l2: float. L2 penalty on the span layer's kernel. Defaults to 0.
        version_2_with_negative: bool. Allow "no answer" (SQuAD 2.0).
            Defaults to False.
        n_best_size: int. Start/end candidates per window. Defaults to 20.
        max_answer_length: int. Longest answer, in tokens. Defaults to 30.
        null_score_diff_threshold: float. With `version_2_with_negative`,
            answer "" when the no-answer score beats the best span by more
            than this. Defaults to 0.0.

    Example:
    ```python
    qa = kerasft.QuestionAnswerer.from_pretrained(
        "minilm-l6", sequence_length=384, doc_stride=128)
    train = kerasft.data.read_squad("train.json")
    qa.fit(train.inputs, train.answers, epochs=2)
    qa.predict("Who wrote it?", "The book was written by Ann Lee in 1990.")
    # {'answer': 'Ann Lee', 'start': 24, 'end': 31, 'score': ..., 'probability': ...}
    ```
    """

    task_name = "question_answerer"
    preprocessor_cls = QuestionAnswererPreprocessor
    preprocessor_options = ("doc_stride", "max_question_length")
    default_sequence_length = 384
    per_token_outputs = True

    def __init__(self, backbone, preprocessor, dropout=0.0, l2=0.0,
                 version_2_with_negative=False, n_best_size=20, max_answer_length=30,
                 null_score_diff_threshold=0.0, **kwargs):
        for key, value in (("n_best_size", n_best_size),
                           ("max_answer_length", max_answer_length)):
            if not isinstance(value, int) or value < 1:
                raise ConfigError(f"`{key}` must be a positive integer. Received: "
                                  f"{key}={value!r}.")
        # === Layers ===
        for layer in backbone.layers:  # the pooler is unused
            if layer.name in ("pooled_dense", "pooler_dense"):
                layer.trainable = False
        dropout_layer, dense = dense_head(
            2, dropout, l2, name="qa_outputs",
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02))
        cls_position = preprocessor.cls_position
        start_layer = SpanLogits(0, cls_position=cls_position, name="start_logits",
                                 dtype="float32")
        end_layer = SpanLogits(1, cls_position=cls_position, name="end_logits", dtype="float32")
        # === Functional Model ===
        inputs = dict(backbone.input)
        if "segment_ids" not in inputs:
            inputs["segment_ids"] = keras.Input(shape=(None,), dtype="int32",
                                                name="segment_ids")
        sequence = sequence_output(backbone({k: inputs[k] for k in backbone.input}))
        logits = dense(dropout_layer(sequence))
        outputs = {
            "end_logits": end_layer(logits, inputs["segment_ids"], inputs["padding_mask"]),
            "start_logits": start_layer(logits, inputs["segment_ids"],
                                        inputs["padding_mask"]),
        }
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.dropout = dropout
        self.l2 = l2
        self.version_2_with_negative = bool(version_2_with_negative)
        self.n_best_size = n_best_size
        self.max_answer_length = max_answer_length
        self.null_score_diff_threshold = float(null_score_diff_threshold)

    @classmethod
    def build_preprocessor(cls, tokenizer, backbone, sequence_length, doc_stride=None,
                           max_question_length=64):
        """`Task.build_preprocessor` with the QA window options.

        Args:
            sequence_length: int. Tokens per window (`from_pretrained`'s
                default: 384).
            doc_stride: int or None. Tokens shared by consecutive windows
                of a long context. None: `min(128, room // 2)`.
            max_question_length: int. Questions are cut to this many
                tokens. Defaults to 64.
        """
        return cls.preprocessor_cls(
            tokenizer, sequence_length=sequence_length,
            max_sequence_length=max_sequence_length(backbone), doc_stride=doc_stride,
            max_question_length=max_question_length,
            segments_from_tokenizer="segment_ids" in backbone.input)

    def get_task_config(self):
        return {
            "dropout": self.dropout,
            "l2": self.l2,
            "version_2_with_negative": self.version_2_with_negative,
            "n_best_size": self.n_best_size,
            "max_answer_length": self.max_answer_length,
            "null_score_diff_threshold": self.null_score_diff_threshold,
        }

    def compile(self, optimizer="auto", loss="auto", metrics="auto", **kwargs):
        """`Task.compile`; the default loss is the mean of the start and end
        cross-entropies (`loss_weights` 0.5 each), as in BERT."""
        if isinstance(loss, str) and loss == "auto":
            kwargs.setdefault("loss_weights", {"start_logits": 0.5, "end_logits": 0.5})
        super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **kwargs)

    def default_loss(self):
        return {name: keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                for name in ("start_logits", "end_logits")}

    def default_metrics(self):
        return {name: [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
                for name in ("start_logits", "end_logits")}

    # -- data ----------------------------------------------------------------
    def _is_raw_input(self, x):
        # Lists and tuples count, so malformed ones get `question_context_pairs`' clear error.
        return isinstance(x, (SquadData, list)) or (
            isinstance(x, tuple) and not all(hasattr(v, "dtype") for v in x))

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, class_weight=None, name="x",
                     bucket=None):
        """Question/context pairs (and answers) -> `(tf.data.Dataset, steps)`
        of windows; `sample_weight` (one per question) goes to its windows.
        `padding`: `"bucket"` (default), `"longest"` or `"max_length"`."""
        if class_weight is not None:
            raise ConfigError("Question answering has no classes to weight. Received: "
                              f"class_weight={class_weight!r}. Pass None.")
        if bucket is not None:
            padding = "bucket" if bucket else "longest"
        if padding not in ("bucket", "longest", "max_length"):
            raise ConfigError("`padding` must be one of ('bucket', 'longest', "
                              f"'max_length'). Received: padding={padding!r}")
        if isinstance(x, SquadData) and y is None:
            y = x.answers
        pairs = question_context_pairs(x, name)
        if pairs is None:
            raise DataError(f"Expected question/context pairs. Received: {name} of type "
                            f"{type(x).__name__}.")
        windows = self.preprocessor.encode_windows(*pairs)
        targets = None
        if y is not None:
            targets = self.preprocessor.encode_targets(windows, pairs[1], y)
            if sample_weight is not None:
                sample_weight = np.asarray(sample_weight, "float32")[windows.example_index]
        return self.preprocessor.make_dataset(
            windows.features, targets, sample_weight, batch_size=batch_size,
            shuffle=shuffle, seed=seed, bucket=padding == "bucket",
            pad_multiple=self.preprocessor.sequence_length if padding == "max_length" else 8)

    def fit(self, x=None, y=None, *, validation_data=None, **kwargs):
        """Trains on `(questions, contexts)` and answers, or on a `SquadData`.

        Args:
            x: `(questions, contexts)`, a list of `(question, context)`
                pairs, a `SquadData` (then `y` is its answers), or anything
                `keras.Model.fit` takes.
            y: one gold answer per question: `{"text", "answer_start"}`, a
                list of them (the first is trained on), or None / `[]` for
                no answer.
            validation_data: `(x_val, y_val)` or a `SquadData`.
            **kwargs: see `Task.fit`.
        """
        if isinstance(x, SquadData):
            x, y = self.inputs_targets(x)
        if isinstance(validation_data, SquadData):
            validation_data = self.inputs_targets(validation_data)
        return super().fit(x, y, validation_data=validation_data, **kwargs)

    # -- prediction ----------------------------------------------------------
    def predict_logits(self, questions, contexts, batch_size=32):
        """`(windows, start_logits, end_logits)`: float32 logits cut to each window."""
        windows = self.preprocessor.encode_windows(questions, contexts)
        # Multiples of 32 up to the window length: few shapes, few retraces.
        out = self.preprocessor.predict_by_length(
            self.predict_on_batch, windows.features, batch_size, multiple=32,
            limit=self.preprocessor.sequence_length)
        return windows, [o["start_logits"] for o in out], [o["end_logits"] for o in out]

    def predict(self, question, context=None, batch_size=32, return_n_best=False, **kwargs):
        """Answers questions about contexts; raw strings in, spans out.

        Args:
            question: str, or a list of str with `context` a list of str,
                or `(questions, contexts)` / a list of pairs / a `SquadData`
                with `context=None`. Anything else goes to `keras.Model.predict`.
            context: str, list of str, or None.
            batch_size: int. Windows per batch. Defaults to 32.
            return_n_best: bool. Add the `"n_best"` candidates.

        Returns:
            For one question, a dict `{"answer", "start", "end", "score",
            "probability"}` with `context[start:end] == answer` (`""` and
            None offsets for no answer); for several, a list of them.
        """
        batch_size = positive_int(batch_size, "batch_size")
        single = isinstance(question, str)
        pairs = question_context_pairs(question, context=context,
                                       separate=single or context is not None)
        if pairs is None:
            return super().predict(question, batch_size=batch_size, **kwargs)
        questions, contexts = check_pairs(*pairs)
        windows, start, end = self.predict_logits(questions, contexts, batch_size)
        answers = self._decode_answers(windows, start, end, contexts, return_n_best)
        return answers[0] if single else answers

    def _decode_answers(self, windows, start_logits, end_logits, contexts, return_n_best=False):
        """Answers (one dict per question) from `predict_logits`' output."""
        return qa_decoding.decode(
            {"start_logits": start_logits, "end_logits": end_logits},
            {**self._decoding_config(), "return_n_best": return_n_best},
            {"offsets": windows.offsets, "context_mask": windows.context_mask,
             "example_index": windows.example_index, "contexts": contexts,
             "cls_index": self.preprocessor.cls_index(windows)})

    def explanation_inputs(self, x, target=None):
        """The window holding each chosen answer, toward its start and its
        end logit. `x`: `(questions, contexts)` or `(question, context)` pairs."""
        from kerasft.explain.token_targets import answer_inputs

        return answer_inputs(self, x, target)

    def predict_records(self, x, batch_size=32):
        if isinstance(x, list) and all(isinstance(t, str) for t in x):
            raise DataError(
                "Question answering needs a context for each question. Received: "
                f"{len(x)} bare strings. Pass --data with a SQuAD JSON file (questions "
                "and contexts), or call QuestionAnswerer.predict(question, context).")
        return self.predict(x, batch_size=batch_size)

    # -- export ----------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """`ExportSpec` of the fixed-length forward pass: `token_ids`,
        `segment_ids`, `padding_mask` (int32 `[batch, sequence_length]`;
        MediaPipe `ids`, `segment_ids`, `mask`) -> `end_logits`,
        `start_logits` (float32 `[batch, sequence_length]`, in that order).
        Its `encode` takes `(question, context)` pairs (a bare string is a
        context, asked `PROBE_QUESTION`) and returns each pair's first window.
        Runners turn logits into answers with `kerasft/decoding/qa.py`
        (numpy only, shipped in the export): `prepare`, then `decode`."""
        from kerasft.export.spec import ExportSpec

        preprocessor = self.preprocessor

        class QuestionAnswererSpec(ExportSpec):
            def encode(self, texts, length=None):
                length = length or self.sequence_length
                pairs = [t if isinstance(t, (tuple, list)) else (PROBE_QUESTION, t)
                         for t in texts]
                windows = preprocessor.encode_windows([p[0] for p in pairs],
                                                      [p[1] for p in pairs])
                first = np.unique(windows.example_index, return_index=True)[1]
                features = {k: [v[i][:length] for i in first]
                            for k, v in windows.features.items()}
                return {name: preprocessor.pad(features, length)[name]
                        for name in self.input_names}

        return QuestionAnswererSpec(
            list(self.input), ["end_logits", "start_logits"],
            tokenizer or preprocessor.tokenizer,
            sequence_length or preprocessor.sequence_length, task_name=self.task_name,
            runner_config=self._decoding_config(), decoding_module=qa_decoding.__file__,
            text_signature=False)

    def _decoding_config(self):
        """The `task_config` of `kerasft.decoding.qa` (also exported)."""
        preprocessor = self.preprocessor
        return {"doc_stride": preprocessor.doc_stride,
                "max_question_length": preprocessor.max_question_length,
                "n_best_size": self.n_best_size, "max_answer_length": self.max_answer_length,
                "version_2_with_negative": self.version_2_with_negative,
                "null_score_diff_threshold": self.null_score_diff_threshold,
                "cls_position": preprocessor.cls_position}

    # -- runs (CLI / YAML) ---------------------------------------------------
    @classmethod
    def model_config_defaults(cls):
        return {"doc_stride": None, "max_question_length": 64, "n_best_size": 20,
                "max_answer_length": 30, "null_score_diff_threshold": 0.0}

    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        return read_squad(path, require_answers=require_labels,
                          encoding=data_config.get("encoding") or "utf-8")

    @classmethod
    def split_data(cls, data, fraction, seed):
        return split_squad(data, fraction, seed)

    @classmethod
    def inputs_targets(cls, data):
        return (list(data.questions), list(data.contexts)), list(data.answers)

    @classmethod
    def parity_inputs(cls, x, y):
        """`(question, context)` pairs; each one's first window is compared."""
        return list(zip(*x)), None

    @classmethod
    def task_kwargs_from_data(cls, train):
        return {"version_2_with_negative": train.version == "2.0"}

    @staticmethod
    def format_report(report):
        return format_squad_report(report)

    def evaluate_report(self, x, y, output_dir=None, batch_size=32):
        """SQuAD exact match and F1 (HasAns/NoAns with unanswerable questions).

        Args:
            x: `(questions, contexts)`, pairs or a `SquadData` (then `y` may
                be None).
            y: gold answers per question (lists of dicts or strings; `[]`
                for no answer).
            output_dir: str or None. Writes `metrics.json` and
                `predictions.json` (question, prediction, gold, scores).

        Returns:
            dict, see `kerasft.evaluation.squad_report`.
        """

        if isinstance(x, SquadData):
            x, y = self.inputs_targets(x)
        predictions = self.predict(x, batch_size=batch_size)
        texts = [p["answer"] for p in predictions]
        report = squad_report(texts, y, version_2=self.version_2_with_negative or None)
        if output_dir is not None:
            questions, _ = question_context_pairs(x)
            records = []
            for question, p, gold in zip(questions, predictions, y):
                em, f1 = score_question(p["answer"], gold)
                records.append({"question": question, "prediction": p["answer"],
                                "score": p["score"], "gold": gold, "exact_match": em,
                                "f1": f1})
            write_squad_report(report, os.fspath(output_dir), records)
        return report
