"""`TextEmbedder`: texts -> sentence embeddings, fine-tuned contrastively."""

import os

import numpy as np

from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.classification import write_report
from kerasft.evaluation.embedding import (
    format_embedding_report,
    label_relevance,
    retrieval_report,
    similarity_report,
)
from kerasft.layers.contrastive import (
    CosineSimilarityLoss,
    L2Normalization,
    MultipleNegativesRankingLoss,
)
from kerasft.layers.pooling import pooled_output, resolve_pooling
from kerasft.preprocessors.pair_batching import make_pair_dataset
from kerasft.tasks.inputs import split_texts
from kerasft.tasks.task import PADDINGS, Task, register_task

LOSSES = ("auto", "multiple_negatives_ranking", "cosine_similarity")


def _pair_lists(x):
    """`(first, second)` lists when `x` holds text pairs, else None."""
    if isinstance(x, tuple) and len(x) == 2 and all(
            isinstance(p, (list, tuple, np.ndarray)) and not isinstance(p, str) for p in x):
        return list(x[0]), list(x[1])
    if isinstance(x, (list, tuple)) and len(x) and all(
            isinstance(p, (list, tuple)) and len(p) == 2 for p in x):
        return [p[0] for p in x], [p[1] for p in x]
    return None


@register_task
class TextEmbedder(Task):
    """A pretrained backbone, pooled (and L2-normalized) into one vector per text.

    `predict`/`encode` take raw texts and return float32 `[n, dim]`
    embeddings. `fit` takes text pairs: `fit((first, second))` trains with
    in-batch negatives (`MultipleNegativesRankingLoss`: each first text must
    pick its own second text among the batch's), `fit((first, second),
    scores)` with `CosineSimilarityLoss` (cosine of each pair regressed on
    its score, on the cosine scale: STS-B's 0-5 divided by 5). A batch of B
    pairs runs as 2B texts (see `kerasft.preprocessors.pair_batching`).
    Under a strategy of R replicas, each replica trains on B/R whole pairs
    (B must be a multiple of R), and its in-batch negatives are its own
    B/R - 1 other pairs, as in sentence-transformers on several devices.

    Args:
        backbone: keras-hub `Backbone`.
        preprocessor: `kerasft.preprocessors.TextPreprocessor`.
        pooling: str. See `TextClassifier`; `"auto"` is `"mean"` on
            encoders, the recipe of sentence-transformers models such as
            all-MiniLM-L6-v2. Defaults to `"auto"`.
        normalize: bool. L2-normalize the embeddings in the graph (exported
            artifacts then return unit vectors). Defaults to True.
        loss: `"auto"` (cosine similarity when `fit` gets scores, else
            multiple negatives ranking), `"multiple_negatives_ranking"` or
            `"cosine_similarity"`. Defaults to `"auto"`.
        scale: float. Inverse temperature of the ranking loss. Defaults to 20.
        symmetric: bool. Symmetric ranking loss. Defaults to False.

    Example:
    ```python
    embedder = kerasft.TextEmbedder.from_pretrained("minilm-l6", sequence_length=128)
    embedder.fit((questions, answers), epochs=1)            # in-batch negatives
    vectors = embedder.encode(["How do I reset it?"])       # [1, 384], unit norm
    embedder.search(["reset password"], embedder.encode(faq), top_k=3)
    ```
    """

    task_name = "text_embedder"
    requires_targets = False

    def __init__(self, backbone, preprocessor, pooling="auto", normalize=True, loss="auto",
                 scale=20.0, symmetric=False, **kwargs):
        if loss not in LOSSES:
            raise ConfigError(f"`loss` must be one of {LOSSES}. Received: loss={loss!r}.")
        if not isinstance(scale, (int, float)) or not scale > 0:
            raise ConfigError(f"`scale` must be a number > 0. Received: scale={scale!r}.")
        pooling = resolve_pooling(backbone, pooling)
        # === Functional Model ===
        inputs = backbone.input
        x = pooled_output(backbone, inputs, pooling)
        if normalize:
            x = L2Normalization(name="l2_normalization", dtype="float32")(x)
        else:
            x = keras_float32(x)
        super().__init__(inputs=inputs, outputs=x, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.pooling = pooling
        self.normalize = bool(normalize)
        self.loss_name = loss
        self.scale = float(scale)
        self.symmetric = bool(symmetric)
        self._scored = False

    def get_task_config(self):
        return {"pooling": self.pooling, "normalize": self.normalize, "loss": self.loss_name,
                "scale": self.scale, "symmetric": self.symmetric}

    @property
    def embedding_dim(self):
        return int(self.output.shape[-1])

    # -- training ------------------------------------------------------------
    def default_loss(self):
        name = self.loss_name
        if name == "auto":
            name = "cosine_similarity" if self._scored else "multiple_negatives_ranking"
        if name == "cosine_similarity":
            return CosineSimilarityLoss()
        return MultipleNegativesRankingLoss(scale=self.scale, symmetric=self.symmetric)

    def encode_targets(self, y, class_weight=None, source=None):
        """Pair scores -> float32 `[n]`.

        Raises:
            ConfigError: `class_weight` was given.
            DataError: a score that is not a finite number (names the row).
        """
        if class_weight is not None:
            raise ConfigError(
                f"`class_weight` applies to classifiers. Received: class_weight="
                f"{class_weight!r}. Drop it.")
        try:
            scores = np.asarray(y, dtype="float64").reshape(-1)
        except (TypeError, ValueError) as e:
            raise DataError(f"Pair scores must be numbers. Received: {source or 'y'} = "
                            f"{str(y)[:80]}.") from e
        bad = np.flatnonzero(~np.isfinite(scores))
        if bad.size:
            raise DataError(f"Pair scores must be finite. Received: {scores[bad[0]]} at row "
                            f"{bad[0]} of {source or 'y'}. Drop or fill that pair.")
        return scores.astype("float32"), None

    def _features(self, x, name="x", progress=True):
        texts, pairs = split_texts(x, name)
        if pairs is not None:
            raise DataError(
                f"A TextEmbedder embeds one text at a time. Received: {name} as text pairs. "
                "Embed each side with `encode(first)` and `encode(second)`.")
        return self.preprocessor.encode(texts, None, progress=progress)

    def _is_raw_input(self, x):
        return _pair_lists(x) is not None or super()._is_raw_input(x)

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, class_weight=None, name="x"):
        """Text pairs (and optional scores) -> `(dataset, num_batches)` of
        `2B`-text batches; see `kerasft.preprocessors.pair_batching`.

        Raises:
            DataError: `x` is not pairs; a blank text (names the row);
                scores that do not pair up.
            ConfigError: `sample_weight` or an unknown `padding`.
        """
        if padding not in PADDINGS:
            raise ConfigError(f"`padding` must be one of {PADDINGS}. Received: "
                              f"padding={padding!r}")
        if sample_weight is not None:
            raise ConfigError("A TextEmbedder weighs pairs by the loss only. Received: "
                              "sample_weight. Drop it.")
        pairs = _pair_lists(x)
        if pairs is None:
            raise DataError(
                f"A TextEmbedder trains on text pairs: (first_texts, second_texts) or a "
                f"list of (text, text). Received: {name} of type {type(x).__name__}. "
                "Pair each text with a positive (a paraphrase, its answer, a text of "
                "the same label).")
        first, _ = split_texts(pairs[0], f"{name} first texts")
        second, _ = split_texts(pairs[1], f"{name} second texts")
        if len(first) != len(second):
            raise DataError(f"Both texts of a pair need one entry per example. Received: "
                            f"{len(first)} first and {len(second)} second texts.")
        scores = None
        if name == "x":  # the training data picks the "auto" loss, not validation's
            self._scored = y is not None
        if y is not None:
            scores, _ = self.encode_targets(y, class_weight)
            if len(scores) != len(first):
                raise DataError(
                    f"Found input variables with inconsistent numbers of samples. "
                    f"Received: {len(first)} pairs and {len(scores)} scores.")
        encode = self.preprocessor.encode
        return make_pair_dataset(
            encode(first, progress=False), encode(second, progress=False), scores,
            batch_size=batch_size, shuffle=shuffle, seed=seed,
            pad_values=self.preprocessor.pad_values,
            padding_side=self.preprocessor.padding_side,
            pad_multiple=self.preprocessor.sequence_length if padding == "max_length" else 8,
            num_replicas=self.distribute_strategy.num_replicas_in_sync)

    # -- embeddings ------------------------------------------------------------
    def encode(self, texts, batch_size=32):
        """Raw texts -> float32 `[n, dim]` embeddings (input order)."""
        return np.asarray(self.predict(list(texts), batch_size=batch_size), dtype="float32")

    def search(self, queries, corpus_embeddings, top_k=5, batch_size=32):
        """Ranks `corpus_embeddings` for each query text by cosine similarity.

        Returns:
            list (per query) of `[(corpus index, score), ...]`, best first,
            ranked by `kerasft.decoding.embedding.rank` (as the runners do).
        """
        from kerasft.decoding import embedding

        return embedding.rank(self.encode(queries, batch_size), corpus_embeddings, top_k)

    def predict_records(self, x, batch_size=32):
        """`{"embedding": [floats]}` per text (`kerasft.decoding.embedding`)."""
        from kerasft.decoding import embedding

        return embedding.decode({"embeddings": self.encode(x, batch_size)},
                                {"dim": self.embedding_dim})

    def evaluate_report(self, x, y, output_dir=None, batch_size=32, ks=(1, 5, 10)):
        """Similarity or retrieval metrics.

        Args:
            x: text pairs (with `y` their gold scores): Spearman/Pearson of
                the cosines (STS), plus recall@k of each first text
                retrieving its own second text among all second texts of
                the pairs scored in the top fifth of the scale. Or texts
                (with `y` their labels): recall@k of the other texts of
                the same label, each text querying all others.
            y: scores or labels.
            output_dir: str or None. Writes `metrics.json` there.
            ks: retrieval cut-offs.

        Returns:
            dict with `similarity` (pairs) and `retrieval`.
        """
        pairs = _pair_lists(x)
        report = {}
        if pairs is not None:
            scores, _ = self.encode_targets(y)
            first = self.encode(pairs[0], batch_size)
            second = self.encode(pairs[1], batch_size)
            report["similarity"] = similarity_report(first, second, scores)
            top = np.flatnonzero(scores >= scores.min() + 0.8 * np.ptp(scores))
            report["retrieval"] = retrieval_report(
                first[top], second, [{int(i)} for i in top], ks=ks)
        else:
            texts, _ = split_texts(x)
            if y is None or len(y) != len(texts):
                raise DataError("Retrieval evaluation needs one label per text. Received: "
                                f"{len(texts)} texts and {None if y is None else len(y)} "
                                "labels.")
            vectors = self.encode(texts, batch_size)
            report["retrieval"] = retrieval_report(vectors, vectors, label_relevance(y),
                                                   ks=ks, exclude_self=True)
        if output_dir is not None:
            os.makedirs(output_dir, exist_ok=True)
            write_report(report, output_dir)
        return report

    @staticmethod
    def format_report(report):
        return format_embedding_report(report)

    # -- export ----------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """`EmbeddingSpec`: `embeddings` `[batch, dim]`; the fp32 gate is the
        cosine of exported vs Keras embeddings >= 0.9999."""
        from kerasft.export.embedding_spec import EmbeddingSpec

        return EmbeddingSpec(list(self.input), tokenizer or self.preprocessor.tokenizer,
                             sequence_length or self.preprocessor.sequence_length,
                             self.embedding_dim, normalize=self.normalize,
                             task_name=self.task_name)


def keras_float32(x):
    """`x` as float32 (mixed precision pools in bfloat16)."""
    import keras

    return keras.layers.Activation("linear", dtype="float32", name="embeddings")(x)
