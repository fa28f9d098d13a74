"""Test helpers shared across the suite (import as `from helpers import ...`)."""

import json
import os
import socket
import subprocess
import sys
import types

import keras
import numpy as np
import pytest

import kerasft
from kerasft.cli import main
from kerasft.errors import ConfigError, DataError

POSITIVE = ["good great film", "a great movie", "good and great", "great great good",
            "it is good", "the film is great", "a good movie", "great news"]
NEGATIVE = ["bad bad film", "not good", "a bad movie", "it was bad", "the film is bad",
            "bad and not great", "bad news", "bad market"]


def toy_sentiment(repeat=4):
    """A separable toy sentiment set over the tiny vocabulary."""
    texts = (POSITIVE + NEGATIVE) * repeat
    labels = (["pos"] * len(POSITIVE) + ["neg"] * len(NEGATIVE)) * repeat
    order = np.random.RandomState(0).permutation(len(texts))
    return [texts[i] for i in order], [labels[i] for i in order]


def write_file(tmp_path, name, text, encoding="utf-8"):
    """Writes `text` to `tmp_path / name`; returns the path as str."""
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return str(path)


# -- toy data sets ------------------------------------------------------------

PEOPLE = [["bob"], ["kim"], ["sam"], ["bob", "smith"]]
PLACES = [["paris"], ["rome"], ["oslo"], ["new", "york"]]
NER_TEMPLATES = [["{P}", "is", "in", "{L}"], ["the", "team", "of", "{P}", "was", "good"],
                 ["{L}", "market", "news"], ["it", "was", "{P}", "and", "{P}"],
                 ["a", "good", "film", "in", "{L}", "and", "{L}"]]


def toy_ner(n=60, seed=0):
    """`n` pre-split sentences from templates with PER and LOC names, and
    their IOB2 tags (sentence i uses template i mod 5)."""
    rng = np.random.RandomState(seed)
    sentences, tags = [], []
    for i in range(n):
        words, labels = [], []
        for slot in NER_TEMPLATES[i % len(NER_TEMPLATES)]:
            if slot in ("{P}", "{L}"):
                name = (PEOPLE if slot == "{P}" else PLACES)[rng.randint(4)]
                kind = "PER" if slot == "{P}" else "LOC"
                words += name
                labels += [f"B-{kind}"] + [f"I-{kind}"] * (len(name) - 1)
            else:
                words.append(slot)
                labels.append("O")
        sentences.append(words)
        tags.append(labels)
    return sentences, tags


def fit_toy(make_model, x, y, validation_data=None, learning_rate=3e-3, epochs=8,
            batch_size=8, fit_kwargs=None, **model_kwargs):
    """A model from `make_model(dropout=0.0, **model_kwargs)` fitted on toy
    data with seed 0; returns (model, history)."""
    keras.utils.set_random_seed(0)
    model = make_model(dropout=0.0, **model_kwargs)
    model.compile(learning_rate=learning_rate)
    history = model.fit(x, y, validation_data=validation_data, epochs=epochs,
                        batch_size=batch_size, seed=0, verbose=0, **(fit_kwargs or {}))
    return model, history


# -- the task contract ----------------------------------------------------------

def assert_same(actual, expected, rtol=1e-6, atol=1e-6, where="value"):
    """Nested predictions match: arrays and floats within tolerance, dict
    keys, lengths, strings and None exactly."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and set(actual) == set(expected), (where, actual)
        for key in expected:
            assert_same(actual[key], expected[key], rtol, atol, f"{where}[{key!r}]")
    elif isinstance(expected, np.ndarray) and expected.dtype.kind in "fc":
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=where)
    elif isinstance(expected, (list, tuple, np.ndarray)):
        assert len(actual) == len(expected), (where, actual, expected)
        for i, (a, e) in enumerate(zip(actual, expected)):
            assert_same(a, e, rtol, atol, f"{where}[{i}]")
    elif isinstance(expected, (float, np.floating)):
        assert actual == pytest.approx(expected, rel=rtol, abs=atol), (where, actual, expected)
    else:
        assert actual == expected, (where, actual, expected)


def take(x, indices):
    """Rows `indices` of inputs or predictions: a list, an array, or a tuple
    of parallel lists (text pairs, questions and contexts)."""
    if isinstance(x, tuple):
        return tuple(take(part, indices) for part in x)
    if isinstance(x, np.ndarray):
        return x[np.asarray(indices, dtype=int)]
    return [x[i] for i in indices]


def _concat(parts):
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return [row for part in parts for row in part]


def check_predictions(model, x, rtol=1e-5, atol=1e-5):
    """`predict` and `predict_records` give each input's result in input
    order whatever the batch: all at once, one by one, and reversed in
    batches of 2. Returns (predictions, records)."""
    n = len(x[0]) if isinstance(x, tuple) else len(x)
    assert n >= 3, "check_predictions needs at least 3 inputs"
    reverse = list(range(n))[::-1]
    predictions = model.predict(x)
    assert len(predictions) == n
    alone = _concat([model.predict(take(x, [i])) for i in range(n)])
    assert_same(alone, predictions, rtol, atol, "one by one")
    assert_same(model.predict(take(x, reverse), batch_size=2), take(predictions, reverse),
                rtol, atol, "reversed, batch_size=2")
    records = model.predict_records(x)
    assert len(records) == n and all(isinstance(r, dict) for r in records)
    json.dumps(records)  # JSON-ready
    alone = _concat([model.predict_records(take(x, [i])) for i in range(n)])
    assert_same(alone, records, rtol, atol, "records one by one")
    assert_same(model.predict_records(take(x, reverse), batch_size=2), records[::-1],
                rtol, atol, "records reversed, batch_size=2")
    return predictions, records


def check_save_load(model, x, directory, files=(), rtol=1e-7, atol=1e-6):
    """`save` writes the model files (and refuses to overwrite them);
    `kerasft.load` gives the same class, config, weights, predictions and
    records. Returns the reloaded model."""
    model.save(directory)
    for name in ("config.json", "model.weights.h5", "preprocessor.json",
                 "tokenizer/tokenizer.json", *files):
        assert os.path.isfile(os.path.join(directory, name)), name
    with pytest.raises(ConfigError, match="already exists"):
        model.save(directory)
    reloaded = kerasft.load(directory)
    assert type(reloaded) is type(model)
    assert_same(reloaded.get_task_config(), model.get_task_config(), where="task config")
    assert reloaded.preprocessor.get_config() == model.preprocessor.get_config()
    for loaded, saved in zip(reloaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(loaded, saved)
    assert_same(reloaded.predict(x), model.predict(x), rtol, atol, "reloaded predictions")
    assert_same(reloaded.predict_records(x), model.predict_records(x), rtol, atol,
                "reloaded records")
    return reloaded


def check_report(model, x, y, directory, files=(), text=None):
    """`evaluate_report(..., output_dir=)` returns the report it writes to
    metrics.json, plus `files` (PNGs are checked for the PNG signature);
    `format_report` holds `text`. Returns the report."""
    report = model.evaluate_report(x, y, output_dir=directory)
    with open(os.path.join(directory, "metrics.json")) as f:
        assert json.load(f) == json.loads(json.dumps(report))
    for name in files:
        with open(os.path.join(directory, name), "rb") as f:
            head = f.read(8)
        assert head, name
        if name.endswith(".png"):
            assert head == b"\x89PNG\r\n\x1a\n", name
    formatted = model.format_report(report)
    assert isinstance(formatted, str) and (text or "") in formatted
    return report


def check_export_spec(model):
    """`export_spec()` names the model's inputs and outputs."""
    spec = model.export_spec()
    assert sorted(spec.input_names) == sorted(model.input)
    if isinstance(model.output, dict):
        assert sorted(spec.output_names) == sorted(model.output)
    else:
        assert len(spec.output_names) == 1
    assert spec.sequence_length == model.preprocessor.sequence_length
    return spec


def run_task_test(model, x, y, tmp_path, history=None, loss_drop=0.5, predict_x=None,
                  saved_files=(), report_files=(), report_text=None, rtol=1e-5,
                  atol=1e-5, load_rtol=1e-7, load_atol=1e-6):
    """The contract of an encoder task (after keras-hub's
    `TestCase.run_task_test`), on a model fitted on toy data (x, y):

    - the training loss fell below `loss_drop` times its first value;
    - `check_predictions` on `predict_x` (default: the first 5 of x), within
      `rtol`/`atol`;
    - `check_save_load` on x (into tmp_path/"model", with `saved_files`),
      within `load_rtol`/`load_atol`;
    - `check_report` (into tmp_path/"report", with `report_files`, `report_text`);
    - `check_export_spec`.

    Returns a namespace: predictions, records, reloaded, report, spec.
    """
    if history is not None:
        losses = history.history["loss"]
        assert losses[-1] < loss_drop * losses[0], losses
    if predict_x is None:
        predict_x = take(x, range(5))
    predictions, records = check_predictions(model, predict_x, rtol, atol)
    reloaded = check_save_load(model, x, str(tmp_path / "model"), saved_files,
                               load_rtol, load_atol)
    report = check_report(model, x, y, str(tmp_path / "report"), report_files, report_text)
    return types.SimpleNamespace(predictions=predictions, records=records, reloaded=reloaded,
                                 report=report, spec=check_export_spec(model))


def run_cli(capsys, config, run_dir, evaluate_args, predict_args, inputs, train_args=(),
            evaluate_text=None):
    """`kerasft train --config config`, then `evaluate` (also with
    --output) and `predict --json` on `run_dir`; the predict records carry
    `inputs` in order. Returns (metrics.json of the run, evaluate's output,
    the predict records)."""
    assert main(["train", "--config", str(config), *train_args]) == 0
    run_dir = str(run_dir)
    assert os.path.isfile(os.path.join(run_dir, "model", "config.json"))
    with open(os.path.join(run_dir, "metrics.json")) as f:
        metrics = json.load(f)
    capsys.readouterr()
    output = os.path.join(run_dir, "evaluation")
    assert main(["evaluate", run_dir, *evaluate_args, "--output", output]) == 0
    printed = capsys.readouterr().out
    assert (evaluate_text or "") in printed and f"Report written to {output}" in printed
    assert os.path.isfile(os.path.join(output, "metrics.json"))
    assert main(["predict", run_dir, *predict_args, "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["input"] for r in records] == [list(i) if isinstance(i, tuple) else i
                                             for i in inputs]
    return metrics, printed, records


def assert_read_error(reader, tmp_path, name, text, match, encoding="utf-8", **kwargs):
    """`reader` on a file `name` holding `text` raises a DataError matching
    `match` (data errors name the file and line)."""
    path = write_file(tmp_path, name, text, encoding)
    with pytest.raises(DataError, match=match):
        reader(path, **kwargs)
    return path


def minilm_tokenizers():
    """The bundled MiniLM vocabulary as (kerasft Tokenizer, transformers'
    tokenizer) for comparisons; skips the test without transformers."""
    from kerasft.backbones.presets import preset_directory
    from kerasft.tokenizers import Tokenizer

    transformers = pytest.importorskip("transformers")
    directory = preset_directory("minilm-l6")
    return (Tokenizer.from_directory(directory),
            transformers.AutoTokenizer.from_pretrained(directory))


def free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(script, args, n=2, env=None):
    """`n` processes of `script` forming one cluster on 127.0.0.1 through
    `TF_CONFIG`; worker i gets `args` and its output path."""
    cluster = {"worker": [f"127.0.0.1:{p}" for p in free_ports(n)]}
    procs = []
    for index in range(n):
        worker_env = {**os.environ, **(env or {}), "TF_CONFIG": json.dumps(
            {"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(subprocess.Popen(
            [sys.executable, "-c", script, *[a.format(index=index) for a in args]],
            env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    return procs
