import json
import subprocess
import sys

import keras
import numpy as np
import pytest

import kerasft as kft
from helpers import fit_toy, run_cli, run_task_test
from kerasft.evaluation.squad import squad_report

from kerasft.data.squad import SquadData, read_squad
from kerasft.errors import ConfigError, DataError
from kerasft.decoding import qa as qa_decoding
from kerasft.layers.span_logits import MASK_VALUE
from kerasft.tasks.question_answerer import QuestionAnswerer

FILLERS = ["the film was good.", "it is not bad.", "a great movie.", "the sport was great.",
           "it was a bad film.", "good and great.", "the movie is good."]
# Names start with a letter that is no vocabulary word ("a", "it"), so that
# the tiny model can tell a name's first piece from the article "a".
NAMES = ["bob", "pam", "kim", "lee", "max", "eve", "tom", "sue", "joe", "ray", "ben", "liv"]
QUESTION = "who is it?"


def toy_qa(n=40, seed=0, impossible_every=5):
    """Contexts of filler sentences around "it is NAME."; every other answer
    sits behind four sentences (a later window); every `impossible_every`-th
    context has no name (SQuAD 2.0 "no answer")."""
    rng = np.random.RandomState(seed)
    questions, contexts, answers = [], [], []
    for i in range(n):
        name = NAMES[(i + seed) % len(NAMES)]
        before = [FILLERS[j] for j in rng.randint(0, len(FILLERS), size=rng.randint(0, 3))]
        if i % 2 == 0:
            before = FILLERS[:4] + before
        after = [FILLERS[j] for j in rng.randint(0, len(FILLERS), size=rng.randint(0, 3))]
        if impossible_every and i % impossible_every == impossible_every - 1:
            contexts.append(" ".join(before + after or FILLERS[:2]))
            answers.append([])
        else:
            contexts.append(" ".join(before + [f"it is {name}."] + after))
            answers.append([{"text": name, "answer_start": contexts[-1].index(f"it is {name}.") + 6}])
        questions.append(QUESTION)
    return questions, contexts, answers


def make_model(**kwargs):
    kwargs.setdefault("sequence_length", 40)
    kwargs.setdefault("doc_stride", 6)
    kwargs.setdefault("max_question_length", 6)
    return QuestionAnswerer.from_pretrained("tiny-bert", **kwargs)


@pytest.fixture(scope="module")
def trained():
    questions, contexts, answers = toy_qa()
    model, history = fit_toy(make_model, (questions, contexts), answers, learning_rate=1e-2,
                             epochs=16, batch_size=16, version_2_with_negative=True,
                             backbone_config={"hidden_dim": 32, "intermediate_dim": 64},
                             fit_kwargs={"padding": "max_length"})  # one shape: one trace
    return model, history, (questions, contexts, answers)


def test_task_contract(trained, tmp_path):
    model, history, (questions, contexts, answers) = trained
    result = run_task_test(model, (questions, contexts), answers, tmp_path, history=history,
                           loss_drop=0.2, predict_x=(questions[:6], contexts[:6]),
                           report_files=("predictions.json",), report_text="HasAns",
                           rtol=0.0, atol=1e-4, load_rtol=1e-6, load_atol=0.0)
    report = result.report
    predictions = [p["answer"] for p in model.predict(questions, contexts)]
    assert report == squad_report(predictions, answers, version_2=True)
    assert report["exact_match"] >= 90
    assert report["NoAns_total"] == 8 and report["HasAns_total"] == 32
    records = json.loads((tmp_path / "report" / "predictions.json").read_text())
    assert len(records) == 40 and records[0]["prediction"] == predictions[0]
    assert result.records == result.predictions  # records are the answers


def test_fit_learns_spans_including_later_windows(trained):
    model, history, (questions, contexts, answers) = trained
    windows = model.preprocessor.encode_windows(questions, contexts)
    targets = model.preprocessor.encode_targets(windows, contexts, answers)
    first_window = {}
    for w, i in enumerate(windows.example_index):
        first_window.setdefault(int(i), w)
    later = {int(i) for w, i in enumerate(windows.example_index)
             if targets[w, 0] > 0 and w > first_window[int(i)]
             and targets[first_window[int(i)], 0] == 0}
    assert len(later) >= 5  # answers only a second (or third) window holds
    predictions = model.predict(questions, contexts)
    answerable = [i for i, a in enumerate(answers) if a]
    right = [predictions[i]["answer"] == answers[i][0]["text"] for i in answerable]
    assert np.mean(right) >= 0.9
    assert all(predictions[i]["answer"] == answers[i][0]["text"] for i in later)
    for i in answerable:
        p = predictions[i]
        assert contexts[i][p["start"]:p["end"]] == p["answer"]


def test_generalizes_to_new_contexts_and_says_no_answer(trained):
    model, _, _ = trained
    questions, contexts, answers = toy_qa(20, seed=7)
    predictions = model.predict(questions, contexts)
    report = squad_report([p["answer"] for p in predictions], answers)
    assert report["HasAns_exact"] >= 80 and report["NoAns_exact"] >= 75
    assert predictions[4]["start"] is None and predictions[4]["answer"] == ""


def test_v1_decoding_never_answers_empty(trained):
    model, _, _ = trained
    questions, contexts, _ = toy_qa(10, seed=3)
    model.version_2_with_negative = False
    try:
        predictions = model.predict(questions, contexts)
    finally:
        model.version_2_with_negative = True
    assert all(p["answer"] and p["start"] is not None for p in predictions)


def test_predict_input_forms_and_order(trained):
    model, _, (questions, contexts, _) = trained
    single = model.predict(questions[0], contexts[0], return_n_best=True)
    assert set(single) == {"answer", "start", "end", "score", "probability", "n_best"}
    assert single["n_best"][0]["score"] >= single["n_best"][-1]["score"]
    assert sum(c["probability"] for c in single["n_best"]) == pytest.approx(1.0)
    batched = model.predict(questions[:6], contexts[:6])
    assert model.predict((questions[:6], contexts[:6])) == batched
    assert model.predict(list(zip(questions[:6], contexts[:6]))) == batched
    data = SquadData(ids=["a"], titles=["t"], questions=questions[:1], contexts=contexts[:1],
                     answers=[[]], is_impossible=[False], plausible_answers=[[]])
    assert model.predict(data)[0]["answer"] == batched[0]["answer"]


def test_outputs_are_masked_to_context_and_cls(trained):
    model, _, (questions, contexts, _) = trained
    assert list(model.output) == ["end_logits", "start_logits"]
    assert set(model.input) == {"token_ids", "segment_ids", "padding_mask"}
    windows = model.preprocessor.encode_windows(questions[:4], contexts[:4])
    batch = model.preprocessor.pad(windows.features, 40)
    out = model.predict_on_batch(batch)
    for w in range(len(windows)):
        allowed = np.zeros(40, bool)
        allowed[:len(windows.context_mask[w])] = windows.context_mask[w]
        allowed[0] = True
        for name in ("start_logits", "end_logits"):
            logits = out[name][w]
            assert logits.dtype == np.float32
            np.testing.assert_array_equal(logits[~allowed], MASK_VALUE)
            assert np.all(np.abs(logits[allowed]) < 100)


def test_export_spec_is_the_mediapipe_bert_qa_contract(trained):
    model, _, (questions, contexts, _) = trained
    spec = model.export_spec()
    assert spec.output_names == ["end_logits", "start_logits"]
    assert sorted(spec.input_names) == ["padding_mask", "segment_ids", "token_ids"]
    features = spec.encode([(questions[1], contexts[1]), contexts[2]])
    assert all(v.shape == (2, 40) and v.dtype == np.int32 for v in features.values())
    outputs = spec.named_outputs(model.predict_on_batch(features))
    windows, start, _ = model.predict_logits([questions[1]], [contexts[1]])
    n = len(start[0])
    np.testing.assert_allclose(outputs["start_logits"][0, :n], start[0], atol=1e-4)
    assert (outputs["end_logits"][1] > MASK_VALUE).sum() > 5  # a bare string is a context


def test_keras_evaluate(trained):
    model, _, (questions, contexts, answers) = trained
    results = model.evaluate((questions, contexts), answers, return_dict=True, verbose=0)
    assert results["loss"] < 1.0 and results["start_logits_accuracy"] >= 0.9
    one_batch, steps = model.make_dataset((questions, contexts), answers, batch_size=64,
                                          padding="longest")
    results = model.evaluate(one_batch, return_dict=True, verbose=0)
    assert steps == 1 and results["loss"] == pytest.approx(  # mean of the two CEs
        (results["start_logits_loss"] + results["end_logits_loss"]) / 2, rel=1e-4)


# --- post-processing on hand-made logits ---------------------------------

def test_top_spans_n_best_and_max_length():
    start = np.array([9.0, 1.0, 5.0, 0.0, 4.0, 3.0])
    end = np.array([9.0, 0.0, 1.0, 2.0, 0.0, 6.0])
    context = np.array([False, True, True, True, True, True])
    spans = qa_decoding.top_spans(start, end, context, n_best_size=20, max_answer_length=30)
    assert spans[0] == (2, 5, 11.0)  # CLS (index 0) is never a span
    assert all(s <= e for s, e, _ in spans)
    assert [score for *_, score in spans] == sorted((score for *_, score in spans), reverse=True)
    short = qa_decoding.top_spans(start, end, context, n_best_size=20, max_answer_length=2)
    assert short[0] == (4, 5, 10.0)  # 2..5 is 4 tokens long
    assert all(e - s + 1 <= 2 for s, e, _ in short)
    # n_best_size=1: only the best start (2) and the best end (5)
    assert qa_decoding.top_spans(start, end, context, 1, 30) == [(2, 5, 11.0)]
    assert qa_decoding.top_spans(start, end, context, 1, 2) == []
    assert qa_decoding.top_spans(start, end, np.zeros(6, bool)) == []


def _window(start, end, offsets):
    n = len(start)
    context = np.array([False] + [True] * (n - 2) + [False])
    return np.array(start, float), np.array(end, float), np.array(offsets), context


def test_decode_best_span_across_windows_and_null_threshold():
    context = "aa bb cc dd"
    # window 1 holds "aa bb", window 2 holds "bb cc"; position 0 is CLS.
    w1 = _window([2.0, 1.0, 0.0, 0.0], [2.0, 0.0, 1.0, 0.0], [[0, 0], [0, 2], [3, 5], [0, 0]])
    w2 = _window([1.0, 0.0, 6.0, 0.0], [3.0, 0.0, 5.0, 0.0], [[0, 0], [3, 5], [6, 8], [0, 0]])
    starts, ends, offsets, masks = [list(x) for x in zip(w1, w2)]
    args = (starts, ends, offsets, masks, np.array([0, 0]), [context])
    best = qa_decoding.decode_answers(*args, return_n_best=True)[0]
    assert (best["answer"], best["start"], best["end"], best["score"]) == ("cc", 6, 8, 11.0)
    n_best = {(c["start"], c["end"]): c["score"] for c in best["n_best"]}
    assert len(n_best) == len(best["n_best"]) == 5
    assert n_best[(3, 5)] == 1.0  # "bb" is in both windows: kept once, best score (1 > 0)
    assert n_best[(0, 5)] == 2.0 and n_best[(3, 8)] == 5.0  # spans never cross windows
    # v2: the null score is the smallest CLS score: min(2 + 2, 1 + 3) = 4 < 11 -> "cc"
    v2 = qa_decoding.decode_answers(*args, version_2_with_negative=True)[0]
    assert v2["answer"] == "cc"
    starts[0][0], ends[0][0] = 12.0, 8.0  # window 1: 20
    starts[1][0], ends[1][0] = 9.0, 5.0  # window 2: 14
    # min(20, 14) - 11 = 3 > 0 -> no answer
    v2 = qa_decoding.decode_answers(*args, version_2_with_negative=True, return_n_best=True)[0]
    assert (v2["answer"], v2["start"], v2["end"], v2["score"]) == ("", None, None, 14.0)
    assert v2["probability"] == max(c["probability"] for c in v2["n_best"])
    v2 = qa_decoding.decode_answers(*args, version_2_with_negative=True,
                                    null_score_diff_threshold=3.5)[0]
    assert v2["answer"] == "cc"  # 3 <= 3.5
    assert qa_decoding.decode_answers(*args)[0]["answer"] == "cc"  # v1 ignores CLS
    with pytest.raises(ValueError, match="Received: 2 start rows, 2 end rows, 2 offsets, "
                                         "2 masks and 3 windows"):
        qa_decoding.decode_answers(starts, ends, offsets, masks, [0, 0, 0], [context])


def test_qa_decoding_needs_neither_tensorflow_nor_kerasft():
    code = (
        "import sys, importlib.util\n"
        "sys.modules['tensorflow'] = None; sys.modules['kerasft'] = None\n"
        f"spec = importlib.util.spec_from_file_location('qd', {qa_decoding.__file__!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print(m.top_spans([0, 3, 1, 0], [0, 1, 3, 0], [0, 1, 1, 0]))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[(1, 2, 6.0), (1, 1, 4.0), (2, 2, 4.0)]"


# --- errors ----------------------------------------------------------------

def test_bad_inputs_and_config(trained):
    model, _, (questions, contexts, answers) = trained
    with pytest.raises(DataError, match="two strings or two lists. Received: question of "
                                        "type str and context of type list"):
        model.predict("who?", ["it is bob."])
    with pytest.raises(DataError, match="Expected question/context pairs.*list"):
        model.predict(["who?", "what?"])
    with pytest.raises(DataError, match=r"questions\[1\]=''"):
        model.predict(["who?", ""], ["a", "b"])
    with pytest.raises(DataError, match="Pass --data with a SQuAD JSON file"):
        model.predict_records(["who is it?"])
    with pytest.raises(ConfigError, match="no classes to weight"):
        model.fit((questions, contexts), answers, class_weight="balanced")
    with pytest.raises(DataError, match="40 questions and 2 answers"):
        model.fit((questions, contexts), answers[:2])
    with pytest.raises(DataError, match=r"Received at y\[0\]"):
        model.fit((questions[:1], contexts[:1]), [{"text": "zed", "answer_start": 0}])
    with pytest.raises(ConfigError, match="padding"):
        model.make_dataset((questions, contexts), answers, padding="max")
    with pytest.raises(ConfigError, match="has no pooling"):
        QuestionAnswerer.task_kwargs_from_config({"pooling": "cls"})
    assert "pooling" not in QuestionAnswerer.task_kwargs_from_config({"pooling": "mean"})
    with pytest.raises(ConfigError, match="dropout"):
        make_model(dropout=1.0)
    with pytest.raises(ConfigError, match="max_answer_length=0"):
        make_model(max_answer_length=0)
    with pytest.raises(ConfigError, match="l2"):
        make_model(l2=-1.0)


# --- runs: YAML config, CLI -------------------------------------------------

def write_squad(path, questions, contexts, answers, version="1.1"):
    articles = []
    for i, (q, c, a) in enumerate(zip(questions, contexts, answers)):
        record = {"id": f"q{i}", "question": q, "answers": a}
        if version == "2.0":
            record["is_impossible"] = not a
        articles.append({"title": f"t{i % 6}", "paragraphs": [{"context": c, "qas": [record]}]})
    path.write_text(json.dumps({"version": version, "data": articles}))
    return str(path)


def test_yaml_run_and_cli(tmp_path, capsys):
    from kerasft.cli import main
    from kerasft.config import load_config

    questions, contexts, answers = toy_qa(24, impossible_every=0)
    train = write_squad(tmp_path / "train.json", questions, contexts, answers)
    config = tmp_path / "qa.yaml"
    config.write_text(
        "task: question_answerer\nbackbone: tiny-bert\nsequence_length: 40\n"
        f"output_dir: {tmp_path / 'runs'}\nname: toy\n"
        f"data: {{train: {train}, test: {train}, validation_split: 0.2}}\n"
        "model: {doc_stride: 6, max_question_length: 6, dropout: 0.0}\n"
        "training: {epochs: 1, batch_size: 16, learning_rate: 0.01}\n")
    loaded = load_config(str(config))
    assert loaded["model"]["max_answer_length"] == 30  # the task's own model keys
    run = tmp_path / "runs" / "toy"
    metrics, _, lines = run_cli(capsys, config, run, ["--data", train], ["--data", train],
                                list(zip(questions, contexts)), evaluate_text="exact")
    assert metrics["total"] == 24 and 0 <= metrics["f1"] <= 100
    assert metrics["run"]["train_examples"] < 24  # by-article validation split
    model = kft.load(run / "model")
    assert model.preprocessor.doc_stride == 6 and not model.version_2_with_negative
    assert lines[0]["answer"] == contexts[0][lines[0]["start"]:lines[0]["end"]]
    assert main(["predict", str(run), "who?"]) == 2
    assert "SQuAD JSON" in capsys.readouterr().err


def test_v2_data_makes_a_v2_model(tmp_path):
    questions, contexts, answers = toy_qa(10)
    data = read_squad(write_squad(tmp_path / "v2.json", questions, contexts, answers, "2.0"))
    assert QuestionAnswerer.task_kwargs_from_data(data) == {"version_2_with_negative": True}
    x, y = QuestionAnswerer.inputs_targets(data)
    assert x == (questions, contexts) and y == answers


@pytest.mark.slow
def test_real_squad_minilm_2_layers_learns(shared_data):
    """2-layer MiniLM, 600 SQuAD questions, 2 epochs (about 2 CPU-minutes):
    clearly better than the first words of the context (as many as the gold
    answer has), a baseline that knows the answer length. Measured: F1 11.0,
    EM 3.7 against 5.7 / 1.7."""
    rng = np.random.RandomState(0)
    train = read_squad(shared_data("squad_v1.1", "train.json"))
    evaluation = read_squad(shared_data("squad_v1.1", "eval.json"))
    train = train.subset(sorted(rng.choice(len(train), 600, replace=False)))
    evaluation = evaluation.subset(sorted(rng.choice(len(evaluation), 300, replace=False)))
    keras.utils.set_random_seed(0)
    model = QuestionAnswerer.from_pretrained("minilm-l6", sequence_length=192, doc_stride=64,
                                             backbone_config={"num_layers": 2})
    model.compile(learning_rate=3e-4)
    model.fit(train, epochs=2, batch_size=32, seed=0, verbose=0)
    report = model.evaluate_report(evaluation, None, batch_size=64)
    first_words = [" ".join(c.split()[:len(a[0]["text"].split())])
                   for c, a in zip(evaluation.contexts, evaluation.answers)]
    baseline = squad_report(first_words, evaluation.answers)
    assert report["f1"] >= baseline["f1"] + 3
    assert report["exact_match"] >= baseline["exact_match"] + 1


def test_parity_inputs_are_question_context_pairs():
    texts, labels = QuestionAnswerer.parity_inputs((["who?", "where?"], ["It is Bob.", "Rome."]),
                                                   [[], []])
    assert texts == [("who?", "It is Bob."), ("where?", "Rome.")] and labels is None
