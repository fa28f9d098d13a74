"""On-device generation: a CausalLM's `generate.tflite` (`prefill` /
`decode` over an explicit key/value cache) and `export/run_litert_generate.py`
decode like `CausalLM.generate`, on a tiny random GPT-2 (no real GPT-2
weights are available offline). One export is shared by the module."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from fixtures_hf import write_gpt2_checkpoint

from kerasft.errors import ExportError
from kerasft.export import kv_cache
from kerasft.tasks.causal_lm import CausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROMPTS = ["one two three", "The dog", "A man", "Zwei Hunde"]
PROMPT_LENGTH, CACHE_LENGTH = 24, 48


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Tiny random GPT-2 (2 layers, hidden 32, 64 positions). Its position
    embeddings are scaled up 3x so that greedy continuations depend on
    prompt and position instead of repeating one token."""
    directory = tmp_path_factory.mktemp("gpt2")
    write_gpt2_checkpoint(str(directory))
    model = CausalLM.from_pretrained(str(directory), sequence_length=PROMPT_LENGTH)
    positions = model.backbone.position_embedding.position_embeddings
    positions.assign(positions.numpy() * 3.0)
    return model


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("export") / "gpt2")
    report = model.export(directory, formats=("tflite",), cache_length=CACHE_LENGTH,
                          texts=PROMPTS, latency_repeats=2, verbose=False)
    return directory, report


def _keras_logits(model, ids):
    """Keras' uncached forward pass: next-token logits after each prefix."""
    ids = np.asarray([ids], "int32")
    return model.predict({"token_ids": ids, "padding_mask": np.ones_like(ids)}, verbose=0)[0]


def _prompt_ids(model, prompt):
    return model.export_spec(sequence_length=PROMPT_LENGTH).prompt_ids([prompt])[0]


def test_export_writes_prefill_and_decode_signatures_with_builtin_ops(exported, model):
    from ai_edge_litert.interpreter import Interpreter

    directory, report = exported
    assert report["passed"]
    entry = {a["file"]: a for a in report["artifacts"]}["generate.tflite"]
    assert entry["role"] == "generation" and entry["flex_ops"] == []
    assert entry["generation_parity"]["greedy_agreement"] == 1.0
    assert entry["generation_parity"]["max_abs_diff"] < 1e-4
    assert {a["file"] for a in report["artifacts"]} == {"model.tflite", "generate.tflite"}
    signatures = Interpreter(os.path.join(directory, "generate.tflite")).get_signature_list()
    assert signatures == {
        "prefill": {"inputs": ["length", "token_ids"], "outputs": ["cache", "logits"]},
        "decode": {"inputs": ["cache", "position", "token_ids"],
                   "outputs": ["cache", "logits"]}}
    with open(os.path.join(directory, "export_config.json"), encoding="utf-8") as f:
        config = json.load(f)
    assert config["task_config"] == {"eos_token_id": model.eos_token_id,
                                     "prompt_length": PROMPT_LENGTH,
                                     "cache_length": CACHE_LENGTH}
    assert config["decoding_module"] == "generation.py"
    assert os.path.isfile(os.path.join(directory, "generation.py"))


def test_decode_logits_match_keras_cached_and_uncached_calls(exported, model):
    runtime = kv_cache.LiteRTGeneration(os.path.join(exported[0], "generate.tflite"),
                                        model.preprocessor.tokenizer.pad_token_id)
    assert (runtime.prompt_length, runtime.cache_length) == (PROMPT_LENGTH, CACHE_LENGTH)
    prompt = _prompt_ids(model, "Two dogs play")
    fed = [17, 250, 3, 99, 41, 41, 128, 7, 200, 64]  # any tokens, not the model's choice
    got = [runtime.prefill(prompt)]
    got += [runtime.step(token, len(prompt) + i) for i, token in enumerate(fed[:-1])]
    got = np.stack(got)
    cached = kv_cache.keras_cached_logits(model._steps.build().hub, prompt, fed, CACHE_LENGTH)
    uncached = _keras_logits(model, list(prompt) + fed[:-1])[len(prompt) - 1:]
    np.testing.assert_allclose(got, cached, atol=1e-5)
    np.testing.assert_allclose(got, uncached, atol=1e-5)
    # Whatever fills the padded prompt slots, prefill answers the same.
    other = kv_cache.LiteRTGeneration(os.path.join(exported[0], "generate.tflite"),
                                      pad_token_id=123)
    np.testing.assert_allclose(other.prefill(prompt), got[0], atol=1e-6)


@pytest.mark.parametrize("max_new_tokens", [1, 6, 20])
def test_greedy_runner_matches_generate(exported, model, run_runner, max_new_tokens):
    results = run_runner("litert_generate", exported[0], PROMPTS,
                         "--max-new-tokens", str(max_new_tokens))
    want = model.generate(PROMPTS, max_new_tokens=max_new_tokens, return_ids=True)
    assert [r["token_ids"] for r in results] == [w.tolist() for w in want]
    assert [r["generated_text"] for r in results] == model.generate(
        PROMPTS, max_new_tokens=max_new_tokens)
    if max_new_tokens == 20:
        assert all(len(set(r["token_ids"])) > 3 for r in results)  # not one repeated token


def test_no_cache_runner_agrees_with_the_cache(exported, run_runner):
    args = ("--max-new-tokens", "8", "--no-stop")
    cached = run_runner("litert_generate", exported[0], PROMPTS, *args)
    full = run_runner("litert_generate", exported[0], PROMPTS, *args, "--no-cache")
    assert [r["token_ids"] for r in full] == [r["token_ids"] for r in cached]
    assert all(len(r["token_ids"]) == 8 for r in cached)


@pytest.mark.parametrize("options, kwargs", [
    (("--top-k", "5"), {"top_k": 5}),
    (("--top-p", "0.5", "--temperature", "0.7"), {"top_p": 0.5, "temperature": 0.7}),
])
def test_sampling_is_seeded_stays_in_top_k_and_draws_like_generate(
        exported, model, run_runner, options, kwargs):
    args = ("--max-new-tokens", "16", *options)
    first = run_runner("litert_generate", exported[0], PROMPTS, *args, "--seed", "3")
    again = run_runner("litert_generate", exported[0], PROMPTS, *args, "--seed", "3")
    other = run_runner("litert_generate", exported[0], PROMPTS, *args, "--seed", "4")
    assert first == again
    assert [r["token_ids"] for r in first] != [r["token_ids"] for r in other]
    want = model.generate(PROMPTS, max_new_tokens=16, seed=3, batch_size=1, return_ids=True,
                          **kwargs)
    assert [r["token_ids"] for r in first] == [w.tolist() for w in want]
    if "top_k" in kwargs:
        for prompt, result in zip(PROMPTS, first):
            ids = list(_prompt_ids(model, prompt))
            new = result["token_ids"]
            logits = _keras_logits(model, ids + new)[len(ids) - 1:len(ids) - 1 + len(new)]
            top = np.argsort(-logits, axis=-1)[:, :5]
            assert all(token in row for token, row in zip(new, top))


def test_cache_length_out_of_range_is_refused(model, tmp_path):
    for cache_length, match in ((PROMPT_LENGTH - 1, "cache_length=23"),
                                (65, "fit the backbone's 64 positions")):
        with pytest.raises(ExportError, match=match):
            model.export(str(tmp_path / "out"), formats=("tflite",), cache_length=cache_length,
                         verbose=False)
        assert not os.path.exists(tmp_path / "out")


def test_runners_refuse_too_many_tokens_other_tasks_and_the_wrong_runner(exported, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "export"))
    runner = os.path.join(ROOT, "export", "run_litert_generate.py")

    def run(directory, *args):
        return subprocess.run([sys.executable, runner, directory, "The dog", *args],
                              capture_output=True, text=True, timeout=120, env=env,
                              check=False)

    proc = run(exported[0], "--max-new-tokens", str(CACHE_LENGTH))
    assert proc.returncode != 0 and "Pass at most 47" in proc.stderr
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "export", "run_litert.py"),
                           exported[0], "The dog"], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert proc.returncode != 0 and "run it with export/run_litert_generate.py" in proc.stderr
    other = tmp_path / "classifier"
    other.mkdir()
    (other / "export_config.json").write_text(json.dumps({"task": "text_classifier"}))
    proc = run(str(other))
    assert proc.returncode != 0 and "this runner generates with causal_lm" in proc.stderr


class _Spec:
    """The attributes `write_generation_artifact` reads from a spec."""

    def __init__(self, hub):
        self.hub, self.sequence_length, self.cache_length = hub, 4, 8


def test_generation_artifact_is_gated_and_skipped_without_a_cached_task(tmp_path, monkeypatch):
    from kerasft.errors import ParityError
    from kerasft.export import tflite
    from kerasft.export.generation import write_generation_artifact

    def fake_convert(source, outputs, **kwargs):
        for path in outputs.values():
            with open(path, "wb") as f:
                f.write(b"tflite")
        return {q: {"size": 6, "flex_ops": []} for q in outputs}

    monkeypatch.setattr(tflite, "convert_saved_model", fake_convert)
    written = []
    options = {"parity_texts": ["a", "b", "c", "d"], "max_abs_diff": 1e-4}

    def check(diff, agreement):
        def run(path, texts):
            written.append((os.path.basename(path), texts))
            return {"max_abs_diff": diff, "greedy_agreement": agreement, "prompts": len(texts)}
        return run

    entries, notes = write_generation_artifact(_Spec(object()), None, str(tmp_path), options,
                                               str(tmp_path), lambda d: None, check(0.0, 1.0))
    assert notes == [] and entries[0]["generation_parity"]["prompts"] == 3
    assert written == [("generate.tflite", ["a", "b", "c"])]
    with pytest.raises(ParityError, match=r"max \|Δ logits\| 0.01 \(limit 0.0001\)"):
        write_generation_artifact(_Spec(object()), None, str(tmp_path), options,
                                  str(tmp_path), lambda d: None, check(0.01, 1.0))
    with pytest.raises(ParityError, match="greedy agreement 0.500"):
        write_generation_artifact(_Spec(object()), None, str(tmp_path), options,
                                  str(tmp_path), lambda d: None, check(0.0, 0.5))
    entries, notes = write_generation_artifact(_Spec(None), None, str(tmp_path), options,
                                               str(tmp_path), lambda d: None, check(0.0, 1.0))
    assert entries == [] and "not written (keras-hub has no key/value-cache" in notes[0]


def test_runner_refuses_no_cache_for_seq2seq(tmp_path):
    from kerasft.decoding import generation

    directory = tmp_path / "seq2seq"
    directory.mkdir()
    shutil.copyfile(generation.__file__, directory / "generation.py")
    (directory / "export_config.json").write_text(json.dumps({
        "task": "seq2seq_lm", "decoding_module": "generation.py", "task_config": {},
        "tokenizer": {"pad_token_id": 0}, "artifacts": [], "sequence_length": 8,
        "inputs": ["encoder_token_ids"], "outputs": ["logits"]}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "export"))

    def run(name, *args):
        return subprocess.run([sys.executable, os.path.join(ROOT, "export", name),
                               str(directory), "a source", *args], capture_output=True,
                              text=True, timeout=120, env=env, check=False)

    proc = run("run_litert_generate.py", "--no-cache")
    assert proc.returncode != 0 and "--no-cache runs causal-LM exports only" in proc.stderr
