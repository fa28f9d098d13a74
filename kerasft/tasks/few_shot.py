"""Few-shot classification: SetFit's two stages on a `TextClassifier`.

Tunstall et al. 2022 ("Efficient Few-Shot Learning Without Prompts"):

1. contrastive fine-tuning of the sentence encoder on pairs sampled from
   the labelled examples (same label = positive), here a `TextEmbedder`
   built on the classifier's own backbone (the weights are shared, so the
   classifier's backbone is what gets tuned);
2. a logistic regression (scikit-learn) on the tuned embeddings, whose
   coefficients become the classifier's Dense head.

The result is an ordinary `TextClassifier`: predict, save/load, export,
evaluate_report and explain work unchanged.
"""

import numpy as np

from kerasft.data.pair_sampling import check_few_shot, label_pairs
from kerasft.errors import ConfigError
from kerasft.utils.arguments import positive_int, positive_number

FEW_SHOT_LOSSES = ("cosine_similarity", "multiple_negatives_ranking")


def head_from_logistic_regression(classifier, features, label_ids, C=1.0, seed=None):
    """Fits `LogisticRegression(C)` on `features` and writes it into the
    classifier's Dense layer `logits` (softmax over `[-z/2, z/2]` for two
    classes is the binary regression's sigmoid). Returns the training
    accuracy."""
    from sklearn.linear_model import LogisticRegression

    k = len(classifier.labels)
    clf = LogisticRegression(C=C, max_iter=2000, random_state=seed).fit(features, label_ids)
    if k == 2:
        kernel = np.concatenate([-clf.coef_, clf.coef_]).T / 2
        bias = np.array([-clf.intercept_[0], clf.intercept_[0]]) / 2
    else:
        kernel, bias = clf.coef_.T, clf.intercept_
    classifier.get_layer("logits").set_weights(
        [kernel.astype("float32"), bias.astype("float32")])
    return float(clf.score(features, label_ids))


def fit_few_shot(classifier, texts, labels, *, num_iterations=20, epochs=1, batch_size=16,
                 learning_rate=2e-5, loss="cosine_similarity", head_C=1.0, seed=None,
                 callbacks=None, verbose="auto"):
    """Trains `classifier` with SetFit; see `TextClassifier.fit_few_shot`.

    Returns:
        The Keras `History` of stage 1, with `history.few_shot`: a dict of
        `pairs`, `examples` (distinct texts used), `stage1_seconds`,
        `stage2_seconds` and `head_train_accuracy`.
    """
    import time

    from kerasft.tasks.text_embedder import TextEmbedder

    if loss not in FEW_SHOT_LOSSES:
        raise ConfigError(f"`loss` must be one of {FEW_SHOT_LOSSES}. Received: loss={loss!r}.")
    num_iterations = positive_int(num_iterations, "num_iterations")
    epochs = positive_int(epochs, "epochs")
    head_C = positive_number(head_C, "head_C")
    names = list(classifier.labels)
    ids = classifier.label_vocabulary.encode(list(labels))  # names unknown labels
    texts, labels = check_few_shot(texts, [names[i] for i in ids], classes=names)
    ids = np.asarray([names.index(label) for label in labels])
    first, second, scores = label_pairs(texts, list(ids), num_iterations, seed=seed)
    if loss == "multiple_negatives_ranking":  # in-batch negatives: positives only
        keep = scores > 0
        first = [t for t, k in zip(first, keep) if k]
        second = [t for t, k in zip(second, keep) if k]
    embedder = TextEmbedder(backbone=classifier.backbone, preprocessor=classifier.preprocessor,
                            pooling=classifier.pooling, normalize=False, loss=loss)
    embedder.compile(learning_rate=learning_rate)
    start = time.perf_counter()
    history = embedder.fit((first, second), scores if loss == "cosine_similarity" else None,
                           epochs=epochs, batch_size=batch_size, seed=seed,
                           callbacks=callbacks, verbose=verbose)
    stage1 = time.perf_counter() - start
    start = time.perf_counter()
    features = embedder.encode(texts, batch_size=32)  # what the Dense head reads
    accuracy = head_from_logistic_regression(classifier, features, ids, C=head_C, seed=seed)
    history.few_shot = {"pairs": len(first), "examples": len(texts),
                        "stage1_seconds": round(stage1, 2),
                        "stage2_seconds": round(time.perf_counter() - start, 2),
                        "head_train_accuracy": accuracy}
    return history
