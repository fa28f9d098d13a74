"""`decode`: greedy or sampled decoding, one model step at a time.

The loop runs on the host through a `Stepper` (the model side of a step,
compiled, with a key/value cache where keras-hub has one); a `Sampler`
chooses each next token in NumPy with a `numpy.random.Generator`, so the
same `seed` gives the same output on any backend.
"""

import numpy as np


def decode(stepper, token_ids, lengths, max_new_tokens, sampler, stop_token_ids=(),
           pad_token_id=0, seed=None):
    """Greedy or sampled decoding of right-padded prompts.

    Args:
        stepper: `Stepper`.
        token_ids: int32 array `[batch, max_prompt + max_new_tokens]`, each
            row its prompt followed by padding.
        lengths: int array `[batch]`, prompt lengths (>= 1).
        max_new_tokens: int. Tokens generated per row at most.
        sampler: `Sampler` (for example `resolve_sampling(...).sampler`).
        stop_token_ids: ids that end a row (not included in the output).
        pad_token_id: int. Written after a row ends.
        seed: int or None. Seed of the sampling generator.

    Returns:
        list of int32 arrays, the new tokens of each row.
    """
    token_ids = np.array(token_ids, dtype="int32")
    lengths = np.asarray(lengths)
    rng = np.random.default_rng(seed)
    stops = np.asarray(sorted(set(int(i) for i in stop_token_ids)), dtype="int32")
    end = lengths + max_new_tokens
    done = np.zeros(len(lengths), dtype=bool)
    stopped_at = end.copy()
    stepper.start(token_ids)
    for index in range(int(lengths.min()), int(end.max())):
        chosen = sampler(stepper.logits(token_ids, index), rng)
        generating = (index >= lengths) & ~done
        hit = generating & np.isin(chosen, stops)
        token_ids[generating, index] = np.where(hit[generating], pad_token_id,
                                                chosen[generating])
        stopped_at[hit] = index
        done |= hit | (generating & (index + 1 >= end))
        if done.all():
            break
    return [token_ids[r, lengths[r]:stopped_at[r]] for r in range(len(lengths))]
