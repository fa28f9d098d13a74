"""Word attributions for the predictions of kerasft's encoder tasks.

`model.explain(texts)` (or `kerasft.explain.explain(model, texts)`) gives
one `Explanation` per input: its words (merged from sub-tokens, with
character offsets), a score per word toward each explained output, and,
for integrated gradients, the completeness gap. `explain_html` and
`plot_explanations` draw them; `deletion_curve` measures how faithful they
are. Names load on first use, so the CLI can build its parser without
TensorFlow.
"""

import importlib

_NAMES = {
    "Attribution": "explanation", "Explanation": "explanation",
    "ExplanationInput": "targets", "Target": "targets",
    "METHODS": "methods", "explain": "explainer", "deletion_curve": "deletion",
    "explain_html": "rendering", "plot_explanations": "rendering",
}
__all__ = ["METHODS", "Attribution", "Explanation", "ExplanationInput", "Target",
           "deletion_curve", "explain", "explain_html", "plot_explanations"]


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'kerasft.explain' has no attribute {name!r}")
    return getattr(importlib.import_module(f"kerasft.explain.{_NAMES[name]}"), name)
