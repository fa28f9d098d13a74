"""What the exporter needs to know about a task model: `ExportSpec`.

The exporter is generic over tasks. A task describes itself with an
`ExportSpec`: the input names (from the model), the names of its outputs,
the tokenizer and sequence length, how to compare an exported artifact's
outputs with the Keras model's (the parity hook) and which task metric to
report. A task class can return its own spec from `export_spec()`;
otherwise `spec_for_model` builds a classification spec.
"""

import numpy as np

from kerasft.decoding import classification, multi_label, regression
from kerasft.errors import ExportError

# Roles of the backbone inputs, as MediaPipe's BERT preprocessor names them.
MEDIAPIPE_ROLES = {"token_ids": "ids", "padding_mask": "mask", "segment_ids": "segment_ids"}


class ExportSpec:
    """Describes a task model to the exporter.

    Args:
        input_names: list of str. The model's input names
            (`backbone.input` keys), each an int32 `[batch, sequence]` tensor.
        output_names: list of str. Names given to the model's outputs in
            every exported artifact, in the order the model returns them.
        tokenizer: `kerasft.tokenizers.Tokenizer`.
        sequence_length: int. Tokens per example (special tokens included).
        labels: list of str or None. Class names (classifiers).
        task_name: str. Written into the report and the artifacts' metadata.
        mediapipe_task: str or None. `"text_classifier"` when the TFLite
            file can carry MediaPipe Tasks metadata.
        runner_config: dict or None. The `task_config` of the decoding
            module: what turns outputs into records (labels, thresholds,
            window overlap, doc stride...); written into
            `export_config.json` under `"task_config"`, with `labels`
            added when the spec has labels.
        decoding_module: str or None. Path of the numpy-only module in
            `kerasft/decoding/` that turns outputs into records
            (`decode(outputs, task_config, state)`); copied into the export
            directory and named in `export_config.json`, where the runners
            load it.
        text_signature: bool. Whether the SavedModel gets a raw-string
            `serving_default` (one text in, outputs out). False for tasks
            whose decoding module prepares windows around the model (NER,
            QA). Defaults to True.
    """

    def __init__(self, input_names, output_names, tokenizer, sequence_length,
                 labels=None, task_name="task", mediapipe_task=None, runner_config=None,
                 decoding_module=None, text_signature=True):
        self.input_names = list(input_names)
        self.output_names = list(output_names)
        self.tokenizer = tokenizer
        self.sequence_length = int(sequence_length)
        self.labels = None if labels is None else [str(label) for label in labels]
        self.task_name = task_name
        self.mediapipe_task = mediapipe_task
        self.runner_config = dict(runner_config or {})
        if self.labels is not None:
            self.runner_config.setdefault("labels", self.labels)
        self.decoding_module = decoding_module
        self.text_signature = bool(text_signature)

    # -- inputs ---------------------------------------------------------------
    def encode(self, texts, length=None):
        """Raw texts -> dict of int32 `[n, length]` arrays (right padded).

        `length` defaults to `sequence_length`; texts are truncated to it.
        """
        length = length or self.sequence_length
        texts = list(texts)
        pairs = None
        if texts and all(isinstance(t, (tuple, list)) and len(t) == 2 for t in texts):
            texts, pairs = [t[0] for t in texts], [t[1] for t in texts]  # sentence pairs
        enc = self.tokenizer.encode(texts, pairs=pairs, sequence_length=length)
        n = len(enc["token_ids"])
        token_ids = np.full((n, length), self.tokenizer.pad_token_id, dtype="int32")
        segment_ids = np.zeros((n, length), dtype="int32")
        padding_mask = np.zeros((n, length), dtype="int32")
        for i, (ids, segments) in enumerate(zip(enc["token_ids"], enc["segment_ids"])):
            token_ids[i, :len(ids)] = ids
            segment_ids[i, :len(ids)] = segments
            padding_mask[i, :len(ids)] = 1
        features = {"token_ids": token_ids, "segment_ids": segment_ids,
                    "padding_mask": padding_mask}
        missing = [name for name in self.input_names if name not in features]
        if missing:
            raise ExportError(
                "The exporter builds `token_ids`, `segment_ids` and "
                f"`padding_mask` inputs. Received: model inputs {self.input_names}. "
                "Give the task an `export_spec()` whose `encode` builds them."
            )
        return {name: features[name] for name in self.input_names}

    # -- outputs --------------------------------------------------------------
    def named_outputs(self, outputs):
        """The model's outputs (tensor, list or dict) -> dict by output name."""
        if isinstance(outputs, dict):
            return {name: outputs[name] for name in self.output_names}
        if isinstance(outputs, (list, tuple)):
            return dict(zip(self.output_names, outputs))
        return {self.output_names[0]: outputs}

    def serving_outputs(self, outputs):
        """Outputs of the raw-string SavedModel signature (a dict of tensors)."""
        return self.named_outputs(outputs)

    def compare(self, reference, candidate, features):
        """The parity hook: how far `candidate` is from `reference`.

        Args:
            reference, candidate: dict of output name -> numpy array.
            features: the inputs both were computed on.

        Returns:
            dict with `max_abs_diff` (over real tokens for per-token
            outputs), `top1_agreement` (argmax over the last axis) and
            `compared` (how many argmaxes were compared: texts, or real
            tokens for per-token outputs).
        """
        mask = features.get("padding_mask")
        diffs, agree = [], []
        for name in self.output_names:
            ref = np.asarray(reference[name], dtype="float64")
            got = np.asarray(candidate[name], dtype="float64")
            keep = np.ones(ref.shape[:-1], dtype=bool)
            if ref.ndim == 3 and mask is not None:  # per-token outputs
                keep = mask[:, :ref.shape[1]].astype(bool)
            diffs.append(float(np.abs(ref - got)[keep].max()) if keep.any() else 0.0)
            agree.append((ref.argmax(-1) == got.argmax(-1))[keep])
        agree = np.concatenate([a.ravel() for a in agree])
        return {"max_abs_diff": max(diffs), "top1_agreement": float(agree.mean()),
                "compared": int(agree.size)}

    def align_labels(self, texts, labels):
        """The gate's `labels` as `metric` reads them, computed once per
        export (hook; a token classifier puts its word tags on the token
        positions of `encode(texts)`). Default: as given."""
        return labels

    def metric(self, outputs, labels):
        """The task metric of `outputs` against true `labels` (or None)."""
        return None

    # -- more artifacts -------------------------------------------------------
    def extra_artifacts(self, model, fmt, stage, options, tmp):
        """Artifacts the task writes for format `fmt` besides its forward
        pass (hook; a causal LM's key/value-cache `.tflite`).

        Args:
            model: the Keras task model.
            fmt: str. The format just written (`"tflite"`, ...).
            stage: str. The export directory being written.
            options: dict. The export options (`timeout`,
                `allow_flex_ops`, `parity`, `parity_texts`,
                `max_abs_diff`, ...).
            tmp: str. A scratch folder inside `stage`.

        Returns:
            `(artifacts, notes)`: report entries (each with `file`,
            `quantization` and `role`; the task checks them itself, the
            parity gate's rows skip them) and notes. Default: none.
        """
        return [], []


class ClassificationSpec(ExportSpec):
    """`ExportSpec` of a text classifier: one probabilities output."""

    def __init__(self, input_names, tokenizer, sequence_length, labels,
                 output_name="probabilities", task_name="text_classifier"):
        super().__init__(input_names, [output_name], tokenizer, sequence_length,
                         labels=labels, task_name=task_name,
                         mediapipe_task="text_classifier",
                         decoding_module=classification.__file__)

    def serving_outputs(self, outputs):
        import tensorflow as tf

        named = self.named_outputs(outputs)
        probabilities = named[self.output_names[0]]
        names = tf.constant(self.labels)
        named["label"] = tf.gather(names, tf.argmax(probabilities, axis=-1))
        return named

    def metric(self, outputs, labels):
        if labels is None:
            return None
        truth = [str(label) for label in labels]
        unknown = [label for label in truth if label not in self.labels][:5]
        if unknown:
            raise ExportError(
                f"Parity labels must be among the model's labels {self.labels}. "
                f"Received: unknown labels {unknown}. Pass the held-out labels as "
                "label names."
            )
        records = classification.decode(
            {"probabilities": outputs[self.output_names[0]]}, self.runner_config)
        return {"accuracy": float(np.mean([r["label"] == t for r, t in zip(records, truth)]))}


class MultiLabelSpec(ExportSpec):
    """`ExportSpec` of a multi-label classifier: sigmoid `probabilities`, one
    column per label, and the per-label decision thresholds (written into
    `export_config.json`, applied by the runners and the SavedModel's
    `predicted` output).

    Parity: `top1_agreement` is the share of texts whose whole predicted
    label set (probabilities >= thresholds) is the same as Keras'.
    """

    def __init__(self, input_names, tokenizer, sequence_length, labels, thresholds,
                 task_name="multi_label_classifier"):
        thresholds = [float(t) for t in thresholds]
        super().__init__(input_names, ["probabilities"], tokenizer, sequence_length,
                         labels=labels, task_name=task_name,
                         runner_config={"thresholds": thresholds},
                         decoding_module=multi_label.__file__)
        self.thresholds = np.asarray(thresholds)

    def serving_outputs(self, outputs):
        import tensorflow as tf

        named = self.named_outputs(outputs)
        named["predicted"] = named["probabilities"] >= tf.constant(
            self.thresholds, dtype=named["probabilities"].dtype)
        return named

    def compare(self, reference, candidate, features):
        ref = np.asarray(reference["probabilities"], dtype="float64")
        got = np.asarray(candidate["probabilities"], dtype="float64")
        same = (multi_label.decisions(reference, self.runner_config)
                == multi_label.decisions(candidate, self.runner_config)).all(-1)
        return {"max_abs_diff": float(np.abs(ref - got).max()),
                "top1_agreement": float(same.mean()), "compared": int(same.size)}

    def metric(self, outputs, labels):
        """Micro F1 at the thresholds; `labels` are lists of label names."""
        if labels is None:
            return None
        from sklearn.metrics import f1_score

        index = {name: i for i, name in enumerate(self.labels)}
        truth = np.zeros((len(labels), len(self.labels)), dtype=int)
        for row, names in enumerate(labels):
            unknown = [n for n in names if str(n) not in index]
            if unknown or isinstance(names, str):
                raise ExportError(
                    f"Parity labels of a multi-label model are lists of the model's "
                    f"labels {self.labels}. Received: {names!r} at row {row}.")
            truth[row, [index[str(n)] for n in names]] = 1
        predicted = multi_label.decisions(outputs, self.runner_config)
        return {"micro_f1": float(f1_score(truth, predicted, average="micro",
                                           zero_division=0))}


class RegressionSpec(ExportSpec):
    """`ExportSpec` of a text regressor: `predictions` in the targets'
    original units, one column per target.

    Parity: `top1_agreement` is the share of texts whose every prediction is
    within `tolerance` target standard deviations of Keras' (quantized
    artifacts are held to it; fp32 ones to `max_abs_diff`).
    """

    def __init__(self, input_names, tokenizer, sequence_length, target_names, scale,
                 tolerance=0.05, task_name="text_regressor"):
        super().__init__(input_names, ["predictions"], tokenizer, sequence_length,
                         task_name=task_name,
                         runner_config={"target_names": list(target_names)},
                         decoding_module=regression.__file__)
        self.target_names = list(target_names)
        self.scale = np.asarray(scale, dtype="float64")
        self.tolerance = float(tolerance)

    def compare(self, reference, candidate, features):
        ref = np.asarray(reference["predictions"], dtype="float64")
        got = np.asarray(candidate["predictions"], dtype="float64")
        close = (np.abs(ref - got) <= self.tolerance * self.scale).all(-1)
        return {"max_abs_diff": float(np.abs(ref - got).max()),
                "top1_agreement": float(close.mean()), "compared": int(close.size)}

    def metric(self, outputs, labels):
        """Root mean squared error against the true targets."""
        if labels is None:
            return None
        truth = np.asarray(labels, dtype="float64").reshape(len(labels), -1)
        got = np.asarray(outputs["predictions"], dtype="float64").reshape(truth.shape)
        return {"rmse": float(np.sqrt(np.mean((truth - got) ** 2)))}


def _tokenizer_of(model):
    preprocessor = getattr(model, "preprocessor", None)
    return getattr(preprocessor, "tokenizer", None)


def spec_for_model(model, tokenizer=None, sequence_length=None):
    """Returns the `ExportSpec` of `model`.

    Uses `model.export_spec(tokenizer=..., sequence_length=...)` when the
    task defines one; otherwise a classifier with `model.labels`.

    Raises:
        ExportError: the model has no tokenizer, or no labels and no spec.
    """
    tokenizer = tokenizer or _tokenizer_of(model)
    if tokenizer is None:
        raise ExportError(
            "Exporting needs the model's tokenizer (it is written beside the "
            "artifacts and built into the SavedModel and TFLite metadata). "
            f"Received: a model without one (model.preprocessor="
            f"{getattr(model, 'preprocessor', None)!r}). Build the model with "
            "`from_pretrained` / `kerasft.load`, or pass `tokenizer=`."
        )
    preprocessor = getattr(model, "preprocessor", None)
    sequence_length = int(sequence_length or getattr(preprocessor, "sequence_length", 0) or 128)
    if hasattr(model, "export_spec"):
        return model.export_spec(tokenizer=tokenizer, sequence_length=sequence_length)
    labels = getattr(model, "labels", None)
    if not labels:
        raise ExportError(
            "Exporting a model that is not a classifier needs an `export_spec()` "
            "method describing its outputs. Received: a model with no "
            "`labels` and no `export_spec`. Define `export_spec` on the task."
        )
    if isinstance(model.input, dict):
        input_names = list(model.input)
    else:
        input_names = [t.name for t in model.inputs]
    return ClassificationSpec(input_names, tokenizer, sequence_length, labels,
                              task_name=getattr(model, "task_name", "text_classifier"))
