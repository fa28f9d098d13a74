"""`explain`: word attributions for the predictions of any encoder task."""

from kerasft.errors import ConfigError
from kerasft.explain.explanation import Attribution, Explanation, completeness
from kerasft.explain.integrated_gradients import IntegratedGradients, baseline_token_id
from kerasft.explain.methods import METHODS
from kerasft.explain.occlusion import occlusion
from kerasft.explain.words import word_groups, word_scores
from kerasft.utils.arguments import positive_int


def explain(model, x, target=None, method="integrated_gradients", steps=32, batch_size=4,
            baseline="pad"):
    """Explains a task model's predictions word by word.

    Args:
        model: a kerasft encoder task (`TextClassifier`,
            `MultiLabelClassifier`, `TextRegressor`, `TokenClassifier`,
            `QuestionAnswerer`).
        x: raw inputs as the task's `predict` takes them (texts, sentence
            pairs, `(questions, contexts)`).
        target: None (explain the prediction) or what to explain instead:
            a label name (classifiers; a list of them for multi-label), a
            target name (regressors), entity types (token classifiers).
        method: `"integrated_gradients"` (default) or `"occlusion"`.
        steps: int. Integrated-gradients quadrature nodes. Defaults to 32.
        batch_size: int. Explanations per integrated-gradients pass (each
            `steps + 2` rows), or rows per occlusion pass (times 8).
            Defaults to 4.
        baseline: `"pad"` (default) or `"mask"`: the token that replaces
            every word in the integrated-gradients baseline (and the
            tokens occlusion must keep in place).

    Returns:
        A list of `Explanation`, one per input (per question for question
        answering).

    Raises:
        ConfigError: an unknown `method` or `baseline`, a `target` the
            model does not have, or a task without explanations.
    """
    if method not in METHODS:
        raise ConfigError(f"`method` must be one of {METHODS}. Received: method={method!r}.")
    steps = positive_int(steps, "steps")
    batch_size = positive_int(batch_size, "batch_size")
    baseline_id = baseline_token_id(model.preprocessor.tokenizer, baseline)
    items = model.explanation_inputs(x, target=target)
    groups = [word_groups(list(item.texts.values()), item.token_text, item.offsets)
              for item in items]
    if method == "occlusion":
        results = occlusion(model, items, groups, baseline_id, batch_size=8 * batch_size)
    else:
        results = IntegratedGradients(model, steps, batch_size, baseline).explain(items)
    explanations = []
    for item, g, result in zip(items, groups, results):
        names = list(item.texts)
        words = [{"word": w["word"], "start": w["start"], "end": w["end"],
                  "text": names[w["text"]]} for w in g]
        attributions, warnings = [], []
        for target_, r in zip(item.targets, result):
            if method == "occlusion":
                attributions.append(Attribution(target_.label, r[0], r[1]))
                continue
            scores = word_scores(g, r[0])
            gap, tolerance, warning = completeness(r[0], r[1], r[2], steps)
            attributions.append(Attribution(target_.label, scores, r[1], r[2], gap, tolerance))
            if warning:
                warnings.append(f"{target_.label}: {warning}")
        explanation = Explanation(item.texts, words, attributions, method,
                                  steps if method != "occlusion" else None, warnings)
        explanation._item, explanation._groups = item, g  # for deletion tests
        explanations.append(explanation)
    return explanations

