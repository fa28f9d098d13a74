"""`ParityTexts`: the texts `fit` keeps for the export parity gate.

A quantized export is gated on the lower end of a 95% confidence interval
of its agreement with Keras, which 40 built-in probe texts cannot lift
above 98% (it takes 189 texts that all agree). So `fit` keeps up to
`MAX_PARITY_TEXTS` of the texts the model was validated on (else trained
on), stratified by label, with their labels; `save` writes them beside the
weights (`parity_texts.json`), `kerasft.load` reads them back, and
`export` gates on them when no `texts=` are given.
"""

import json
import os

import numpy as np

from kerasft.data.sampling import stratified_indices, stratum_of
from kerasft.errors import ConfigError, DataError
from kerasft.tasks.inputs import is_raw_text, split_texts

MAX_PARITY_TEXTS = 1000
PARITY_TEXTS_FILE = "parity_texts.json"


def _json_ready(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    return value


def _items(x):
    """Raw texts as a list of str or of `[text_a, text_b]`, else None
    (datasets, pre-split words, question/context records)."""
    if not is_raw_text(x):
        return None
    try:
        texts, pairs = split_texts(x)
    except DataError:  # `fit` already reported or accepted it; nothing to keep
        return None
    return texts if pairs is None else [[a, b] for a, b in zip(texts, pairs)]


def select_parity_texts(x, y=None, source="training", cap=MAX_PARITY_TEXTS, seed=0):
    """Up to `cap` of the raw texts `x` (with their targets `y`), stratified
    by label (`kerasft.data.sampling.stratum_of`).

    Returns:
        dict with `texts`, `labels` (or None), `source` and `total` (how
        many there were), or None when `x` is not raw texts.
    """
    items = _items(x)
    if not items:
        return None
    labels = None
    if y is not None and not isinstance(y, str) and len(y) == len(items):
        labels = [_json_ready(v) for v in (y.tolist() if hasattr(y, "tolist") else y)]
    strata = [stratum_of(v) for v in labels] if labels else [None] * len(items)
    keep = stratified_indices(strata, cap, seed)
    return {"texts": [items[i] for i in keep],
            "labels": [labels[i] for i in keep] if labels else None,
            "source": source, "total": len(items)}


class ParityTexts:
    """`Task`'s kept parity texts (`parity_texts_`), set by `fit`."""

    parity_texts_ = None

    def keep_parity_texts(self, x, y=None, validation_data=None):
        """Keeps up to 1,000 validation texts (else training texts),
        stratified by label, for the export gate. Called by `fit`."""
        kept = None
        if validation_data is not None and isinstance(validation_data, (list, tuple)) \
                and len(validation_data) >= 1:
            kept = select_parity_texts(validation_data[0], validation_data[1]
                                       if len(validation_data) > 1 else None, "validation")
        self.parity_texts_ = kept or select_parity_texts(x, y, "training") \
            or self.parity_texts_

    def parity_texts(self):
        """The texts the export parity gate uses when given none (hook):
        a dict with `texts`, `labels` (or None) and `source`
        (`"validation"` or `"training"`), or None."""
        return self.parity_texts_

    def save_parity_texts(self, directory):
        if self.parity_texts_ is not None:
            with open(os.path.join(directory, PARITY_TEXTS_FILE), "w", encoding="utf-8") as f:
                json.dump(self.parity_texts_, f, ensure_ascii=False)

    def load_parity_texts(self, directory):
        path = os.path.join(directory, PARITY_TEXTS_FILE)
        if os.path.isfile(path):
            try:
                with open(path, encoding="utf-8") as f:
                    kept = json.load(f)
                if not isinstance(kept, dict) or not isinstance(kept.get("texts"), list):
                    raise ValueError("no `texts` list")
            except (OSError, ValueError) as e:
                raise ConfigError(
                    f"Expected the parity texts `fit` kept, as JSON with a `texts` list. "
                    f"Received: {path} ({e}). Delete the file (the export gate then needs "
                    "texts=) or save the model again."
                ) from e
            self.parity_texts_ = kept
