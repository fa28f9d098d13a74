"""`decode` on a fake stepper: seeds, prompt lengths, `max_new_tokens`,
stop tokens. Mechanics only, not the quality of generated text."""

import itertools

import numpy as np
from generation.script_stepper import VOCAB, ScriptStepper

from kerasft.generation.decoding import decode
from kerasft.generation.sampling import resolve_sampling


def test_same_seed_same_output_different_seed_differs():
    sampling = resolve_sampling(top_k=8, temperature=1.5)
    prompts = np.zeros((3, 2 + 10), "int32")
    lengths = np.array([1, 2, 2])
    runs = [decode(ScriptStepper(), prompts, lengths, 10, sampling.sampler, seed=s) for s in (7, 7, 8)]
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(runs[0], runs[2]))


def test_decode_respects_max_new_tokens_and_prompt_lengths():
    stepper = ScriptStepper()
    token_ids = np.zeros((3, 4 + 5), "int32")
    token_ids[0, :1] = [3]
    token_ids[1, :4] = [3, 4, 5, 6]
    token_ids[2, :2] = [3, 4]
    out = decode(stepper, token_ids, np.array([1, 4, 2]), 5, resolve_sampling().sampler)
    assert [len(o) for o in out] == [5, 5, 5]
    # Greedy: each new token is the argmax given exactly its own prefix.
    for row, (prompt, new) in enumerate(zip([[3], [3, 4, 5, 6], [3, 4]], out)):
        prefix = list(prompt)
        for token in new:
            assert token == stepper.row_logits(prefix).argmax()
            prefix.append(int(token))


def test_stop_tokens_stop_and_are_not_returned():
    # Row 0 is scripted to emit 9 after two tokens; row 1 never emits 9.
    boost = np.full(VOCAB, -10.0)
    script = {}
    for first, second in itertools.product(range(VOCAB), repeat=2):
        row = boost.copy()
        row[9] = 10.0
        script[(1, first, second)] = row
    never = ScriptStepper(script=script)
    token_ids = np.zeros((2, 1 + 6), "int32")
    token_ids[:, 0] = [1, 2]
    out = decode(never, token_ids, np.array([1, 1]), 6, resolve_sampling().sampler, stop_token_ids=[9])
    assert len(out[0]) == 2 and 9 not in out[0]
    # Row 1 runs to its budget unless it meets 9 on its own.
    assert len(out[1]) == 6 or never.row_logits([2] + out[1].tolist()).argmax() == 9


def test_decode_stops_early_when_all_rows_stopped():
    row = np.full(VOCAB, -10.0)
    row[0] = 10.0  # always the stop token
    stepper = ScriptStepper(script={(5,): row})
    out = decode(stepper, np.array([[5, 0, 0, 0, 0, 0]]), np.array([1]), 5,
                 resolve_sampling().sampler, stop_token_ids=[0])
    assert out[0].tolist() == []
    assert stepper.calls == 1
