"""On-device generation for encoder-decoders: a Seq2SeqLM's
`generate.tflite` (`prefill` runs the encoder, `decode` one target token
over explicit caches) and `export/run_litert_generate.py` decode like
`Seq2SeqLM.generate`, on a tiny random BART. Slow: two conversions of an
encoder-decoder."""

import json
import os

import numpy as np
import pytest
from fixtures_hf import write_bart_checkpoint

from kerasft.export import kv_cache_seq2seq
from kerasft.tasks.seq2seq_lm import Seq2SeqLM

pytestmark = pytest.mark.slow

SOURCES = ["Two dogs play", "Save changes?", "one two"]
SOURCE_LENGTH, CACHE_LENGTH = 16, 21


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """Tiny random BART (2+2 layers, hidden 32). Decoder position
    embeddings x3 and cross-attention kernels x6, so that greedy targets
    depend on the source and the position (untrained, it would end every
    target at once)."""
    directory = tmp_path_factory.mktemp("bart")
    write_bart_checkpoint(str(directory))
    model = Seq2SeqLM.from_pretrained(str(directory), sequence_length=SOURCE_LENGTH,
                                      target_sequence_length=CACHE_LENGTH - 1)
    for v in model.weights:
        if "decoder_position" in v.path:
            v.assign(v.numpy() * 3.0)
        elif "cross_attention" in v.path and "kernel" in v.path:
            v.assign(v.numpy() * 6.0)
    return model


@pytest.fixture(scope="module")
def exported(model, tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("export") / "bart")
    report = model.export(directory, formats=("tflite",), texts=SOURCES, latency_repeats=2,
                          verbose=False)
    return directory, report


def test_export_writes_encoder_prefill_and_decoder_steps(exported, model):
    directory, report = exported
    assert report["passed"]
    entry = {a["file"]: a for a in report["artifacts"]}["generate.tflite"]
    assert entry["flex_ops"] == [] and entry["cache_length"] == CACHE_LENGTH
    assert entry["generation_parity"]["greedy_agreement"] == 1.0
    assert entry["generation_parity"]["max_abs_diff"] < 1e-4
    with open(os.path.join(directory, "export_config.json"), encoding="utf-8") as f:
        task_config = json.load(f)["task_config"]
    assert task_config == {"decoder_start_token_id": model.decoder_start_token_id,
                           "eos_token_id": model.eos_token_id, "source_prefix": "",
                           "source_length": SOURCE_LENGTH, "cache_length": CACHE_LENGTH}


def test_decode_logits_match_the_keras_forward_pass(exported, model):
    runtime = kv_cache_seq2seq.LiteRTSeq2SeqGeneration(
        os.path.join(exported[0], "generate.tflite"), model.preprocessor.tokenizer.pad_token_id)
    source = model.preprocessor.encode(["A man in a blue shirt"])["encoder_token_ids"][0]
    fed = [40, 7, 250, 250, 3]  # any tokens
    got = [runtime.prefill(source)] + [runtime.step(t, 1 + i) for i, t in enumerate(fed[:-1])]
    decoder = np.array([[model.decoder_start_token_id, *fed[:-1]]], "int32")
    want = model.predict({"encoder_token_ids": np.array([source], "int32"),
                          "encoder_padding_mask": np.ones((1, len(source)), "int32"),
                          "decoder_token_ids": decoder,
                          "decoder_padding_mask": np.ones_like(decoder)}, verbose=0)[0]
    np.testing.assert_allclose(np.stack(got), want, atol=1e-5)


def test_runner_greedy_and_sampled_match_generate(exported, model, run_runner):
    greedy = run_runner("litert_generate", exported[0], SOURCES, "--max-new-tokens", "12")
    want = model.generate(SOURCES, max_new_tokens=12, return_ids=True)
    assert [r["token_ids"] for r in greedy] == [w.tolist() for w in want]
    assert len({tuple(r["token_ids"]) for r in greedy}) > 1  # the source matters
    sampled = run_runner("litert_generate", exported[0], SOURCES, "--max-new-tokens", "12",
                         "--top-k", "4", "--seed", "2")
    want = model.generate(SOURCES, max_new_tokens=12, top_k=4, seed=2, batch_size=1,
                          return_ids=True)
    assert [r["token_ids"] for r in sampled] == [w.tolist() for w in want]
