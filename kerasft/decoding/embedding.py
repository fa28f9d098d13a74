"""Sentence embeddings: vectors -> records, and ranking by cosine similarity.

Numpy only (see `kerasft.decoding`). `task_config`: `{"normalize": bool,
"dim": int}`; the output is `embeddings`, `[n, dim]`. `rank` orders a
collection for a query the same way in Keras (`TextEmbedder.search`) and in
the runners (`--query`).
"""

import numpy as np

INPUT_FIELDS = ("text",)
WINDOWED = False
OUTPUT = "embeddings"


def unit_rows(vectors):
    """Rows divided by their L2 norm (zero rows stay zero), float64."""
    vectors = np.asarray(vectors, dtype="float64")
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cosine_similarity(a, b):
    """`[len(a), len(b)]` cosine similarities of two sets of vectors."""
    return unit_rows(np.atleast_2d(a)) @ unit_rows(np.atleast_2d(b)).T


def rank(query, collection, top_k=None):
    """Indices and cosine scores of `collection` rows, best first.

    Args:
        query: `[dim]` vector (or `[n, dim]`: one ranking per row).
        collection: `[m, dim]` vectors.
        top_k: int or None. How many to keep; None keeps all.

    Returns:
        list of `[(index, score), ...]`, one list per query row (a single
        list for a 1-D query). Ties keep collection order.
    """
    single = np.ndim(query) == 1
    scores = cosine_similarity(query, collection)
    k = scores.shape[1] if top_k is None else min(int(top_k), scores.shape[1])
    out = []
    for row in scores:
        order = np.argsort(-row, kind="stable")[:k]
        out.append([(int(i), float(row[i])) for i in order])
    return out[0] if single else out


def decode(outputs, task_config, state=None):
    """Embeddings -> `{"embedding": [floats]}` per text.

    Raises:
        ValueError: no `embeddings` output, or not `[n, dim]`.
    """
    if OUTPUT not in outputs:
        raise ValueError(
            f"Expected a model output named {OUTPUT!r}. Received: outputs with "
            f"{sorted(outputs)}. Pass the outputs by the export's output names.")
    values = np.asarray(outputs[OUTPUT], dtype="float64")
    dim = task_config.get("dim")
    if values.ndim != 2 or (dim and values.shape[1] != dim):
        raise ValueError(
            f"Expected embeddings of shape [n, {dim or 'dim'}]. Received: shape="
            f"{values.shape}. Check the export's task_config.")
    return [{"embedding": [float(v) for v in row]} for row in values]


def format_record(result):
    """`score<TAB>text` for ranked results, else the first values and the text."""
    if "score" in result:
        return f"{result['score']:.4f}\t{result['text']}"
    head = " ".join(f"{v:+.4f}" for v in result["embedding"][:4])
    return f"[{head} ... dim={len(result['embedding'])}]\t{result['text']}"
