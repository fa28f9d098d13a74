"""`EmbeddingSpec`: how the exporter and the parity gate see a text embedder."""

import numpy as np

from kerasft.decoding import embedding
from kerasft.export.spec import ExportSpec


class EmbeddingSpec(ExportSpec):
    """`ExportSpec` of a `TextEmbedder`: one `embeddings` output `[n, dim]`.

    Parity (`compare`): `min_cosine`, the lowest cosine similarity between
    an artifact's embedding of a text and Keras' (fp32 artifacts must reach
    `min_cosine` of the gate's thresholds, 0.9999 by default), `max_abs_diff`,
    and as `top1_agreement` the share of texts whose nearest other text
    (the top-1 search result among the parity texts) is the same as with
    Keras' embeddings (quantized artifacts are held to it). MediaPipe Tasks'
    TextEmbedder runs the `.tflite` with metadata on raw strings.
    """

    def __init__(self, input_names, tokenizer, sequence_length, dim, normalize=True,
                 task_name="text_embedder"):
        super().__init__(input_names, [embedding.OUTPUT], tokenizer, sequence_length,
                         task_name=task_name, mediapipe_task="text_embedder",
                         runner_config={"dim": int(dim), "normalize": bool(normalize)},
                         decoding_module=embedding.__file__)
        self.dim = int(dim)

    def compare(self, reference, candidate, features):
        ref = np.asarray(reference[embedding.OUTPUT], dtype="float64")
        got = np.asarray(candidate[embedding.OUTPUT], dtype="float64")
        cosine = (embedding.unit_rows(ref) * embedding.unit_rows(got)).sum(-1)
        return {"max_abs_diff": float(np.abs(ref - got).max()) if ref.size else 0.0,
                "min_cosine": float(cosine.min()) if cosine.size else 1.0,
                "top1_agreement": nearest_neighbour_agreement(ref, got)}


def nearest_neighbour_agreement(reference, candidate):
    """Share of rows whose most similar other row is the same under both
    sets of embeddings (1.0 with fewer than 3 rows, where it is fixed)."""
    if len(reference) < 3:
        return 1.0
    picks = []
    for vectors in (reference, candidate):
        similarity = embedding.cosine_similarity(vectors, vectors)
        np.fill_diagonal(similarity, -np.inf)
        picks.append(similarity.argmax(-1))
    return float(np.mean(picks[0] == picks[1]))
