"""Real pretrained weights on real data: MiniLM (first 2 layers) on Pang & Lee."""

import numpy as np

import kerasft as kft
from kerasft.data.splits import train_test_split
from kerasft.datasets import load_polarity


def test_minilm_2_layers_learns_polarity():
    texts, labels = load_polarity()
    train, test = train_test_split(texts, labels, test_size=0.3, seed=0)
    model = kft.TextClassifier.from_pretrained(
        "minilm-l6", backbone_config={"num_layers": 2}, labels=["neg", "pos"],
        sequence_length=64)
    model.compile(learning_rate=3e-4)
    model.fit(train.texts, train.labels, epochs=5, batch_size=16, seed=0, verbose=0)
    report = model.evaluate_report(test.texts, test.labels)
    # 60 held-out sentences: chance is 0.5; a binomial 0.5 reaches 0.65 with p < 0.01.
    assert report["accuracy"] >= 0.65, report["accuracy"]
    assert report["macro"]["f1"] >= 0.6
    assert np.asarray(report["confusion_matrix"]).sum() == len(test)
