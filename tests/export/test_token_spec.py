"""`TokenClassificationSpec`: the NER gate's labels sit on each word's first
sub-token, and `token_f1` (micro F1 over the entity tags) is the metric the
export report and the mixed-int8 ladder judge."""

import re

import keras
import numpy as np
import pytest

import kerasft as kft
from kerasft.data import iob2_tags
from kerasft.errors import ExportError
from kerasft.export import export_model
from kerasft.export.mixed_int8 import _metric_holds
from kerasft.export.token_spec import TokenClassificationSpec

TEXTS = ["Bob lives in Paris", "Zxqvbwkj met Kim Lee in New York today"]
TAGS = [["B-PER", "O", "O", "B-LOC"],
        ["B-PER", "O", "B-PER", "I-PER", "O", "B-LOC", "I-LOC", "O"]]


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(4)
    return kft.TokenClassifier.from_pretrained(
        "tiny-bert", tags=iob2_tags(["LOC", "PER"]), sequence_length=32)


def one_hot(ids, num_tags):
    """Probabilities that put all mass on `ids` (tag 0 where unlabelled)."""
    return {"probabilities": np.eye(num_tags, dtype="float32")[np.maximum(ids, 0)]}


def test_labels_sit_on_each_words_first_sub_token(model):
    spec = model.export_spec()
    assert isinstance(spec, TokenClassificationSpec)
    aligned = spec.align_labels(TEXTS, TAGS)
    enc = spec.tokenizer.encode(TEXTS, sequence_length=spec.sequence_length,
                                return_offsets=True)
    assert aligned.shape == (2, 32)
    for row, (text, tags) in enumerate(zip(TEXTS, TAGS)):
        starts = [m.start() for m in re.finditer(r"\S+", text)]
        positions = np.flatnonzero(aligned[row] >= 0)
        assert [int(enc["offsets"][row][p][0]) for p in positions] == starts
        assert [spec.labels[i] for i in aligned[row, positions]] == tags
    # the made-up word splits into several sub-tokens: only the first is labelled
    assert len(enc["token_ids"][1]) - 2 > len(TAGS[1])
    # words cut off by the sequence length are not scored
    short = model.export_spec(sequence_length=8).align_labels(TEXTS, TAGS)
    assert short.shape == (2, 8)
    assert 0 < (short[1] >= 0).sum() < len(TAGS[1])


def test_token_f1_counts_entity_tags_at_labelled_tokens(model):
    spec = model.export_spec()
    aligned = spec.align_labels(TEXTS, TAGS)
    outside = spec.labels.index("O")
    perfect = one_hot(aligned, len(spec.labels))
    assert spec.metric(perfect, aligned) == {"token_f1": 1.0}
    # an entity tag on an unlabelled position (special, continuation, padding) is not scored
    unscored = aligned.copy()
    unscored[aligned < 0] = spec.labels.index("B-LOC")
    assert spec.metric(one_hot(unscored, len(spec.labels)), aligned)["token_f1"] == 1.0
    # one of the 7 entity words missed (tagged O): precision 1, recall 6/7, F1 12/13
    missed = aligned.copy()
    missed[0, np.flatnonzero(aligned[0] >= 0)[0]] = outside
    assert spec.metric(one_hot(missed, len(spec.labels)), aligned)["token_f1"] == \
        pytest.approx(12 / 13)
    assert spec.metric(perfect, None) is None


def test_bad_parity_tags_name_the_text(model):
    spec = model.export_spec()
    with pytest.raises(ExportError, match="4 words of text 0"):
        spec.align_labels(TEXTS[:1], [["B-PER", "O"]])
    with pytest.raises(ExportError, match=r"'B-ORG'\] in text 1"):
        spec.align_labels(TEXTS, [TAGS[0], ["B-ORG"] + TAGS[1][1:]])
    with pytest.raises(ExportError, match="align_labels"):
        spec.metric(one_hot(np.zeros((1, 32), int), len(spec.labels)), TAGS[:1])


def test_the_int8_ladder_holds_token_f1_within_a_point():
    assert _metric_holds({"token_f1": -0.005})
    assert not _metric_holds({"token_f1": -0.02})


def test_export_reports_token_f1_against_keras(model, tmp_path):
    report = export_model(model, str(tmp_path / "export"), formats=("saved_model",),
                          texts=TEXTS, labels=TAGS, latency_repeats=2, verbose=False)
    keras_row, saved = report["parity"]["rows"]
    assert report["parity"]["labeled"]
    predicted = model.predict_tags([t.split() for t in TEXTS])
    truth = [t for tags in TAGS for t in tags]
    got = [t for tags in predicted for t in tags]
    entity = [t for t in model.tags if t != "O"]
    from sklearn.metrics import f1_score

    assert keras_row["token_f1"] == pytest.approx(
        f1_score(truth, got, labels=entity, average="micro", zero_division=0))
    assert saved["token_f1_delta"] == pytest.approx(0.0, abs=1e-9)
