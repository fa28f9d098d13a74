"""Word attributions for the predictions of kerasft's encoder tasks.

`model.explain(texts)` (or `kerasft.explain.explain(model, texts)`) gives
one `Explanation` per input: its words (merged from sub-tokens, with
character offsets), a score per word toward each explained output, and,
for integrated gradients, the completeness gap. `explain_html` and
`plot_explanations` draw them; `deletion_curve` measures how faithful they
are.
"""

from kerasft.explain.deletion import deletion_curve
from kerasft.explain.explain import METHODS, explain
from kerasft.explain.explanation import Attribution, Explanation
from kerasft.explain.rendering import explain_html, plot_explanations
from kerasft.explain.targets import ExplanationInput, Target

__all__ = ["Attribution", "Explanation", "ExplanationInput", "METHODS", "Target",
           "deletion_curve", "explain", "explain_html", "plot_explanations"]
