"""`beam_search`: the best-scoring continuations of prompts."""

import numpy as np

from kerasft.generation.sampler import log_softmax


def beam_search(stepper, token_ids, length, max_new_tokens, num_beams, stop_token_ids,
                length_penalty=1.0, pad_token_id=0):
    """Beam search over prompts of one common `length`.

    A hypothesis ends at a stop token (its score is the sum of token
    log-probabilities, stop token included, divided by
    `generated_length ** length_penalty`) or after `max_new_tokens`.
    A row is finished once it holds `num_beams` ended hypotheses and no
    live beam can still beat the worst of them (exact when
    `length_penalty` is 0, since log-probabilities only fall).

    Args:
        stepper: `Stepper`; `reorder` follows the beams.
        token_ids: int32 array `[batch, length + max_new_tokens]`.
        length: int. The common prompt length.
        max_new_tokens: int. Tokens generated per row at most.
        num_beams: int >= 1. Hypotheses kept per row.
        stop_token_ids: ids that end a hypothesis.
        length_penalty: float. See above.
        pad_token_id: int. Written after a row ends.

    Returns:
        `(tokens, scores)`: per row the new tokens of the best hypothesis
        (stop token excluded) and its score.
    """
    token_ids = np.asarray(token_ids, dtype="int32")
    batch, k = len(token_ids), num_beams
    stops = set(int(i) for i in stop_token_ids)
    rows = np.repeat(np.arange(batch), k)
    tokens = token_ids[rows].copy()
    stepper.start(token_ids)
    stepper.reorder(rows)
    scores = np.full((batch, k), -np.inf)
    scores[:, 0] = 0.0
    finished = [[] for _ in range(batch)]
    done = np.zeros(batch, dtype=bool)

    def norm(score, n):
        return score / (n ** length_penalty) if length_penalty else score

    for step in range(max_new_tokens):
        index = length + step
        logp = log_softmax(stepper.logits(tokens, index))
        vocab = logp.shape[-1]
        candidates = (scores.reshape(-1, 1) + logp).reshape(batch, k * vocab)
        top = np.argsort(-candidates, axis=-1, kind="stable")[:, :2 * k]
        next_rows = np.zeros(batch * k, dtype="int64")
        next_tokens_ = np.full(batch * k, pad_token_id, dtype="int32")
        next_scores = np.full((batch, k), -np.inf)
        for b in range(batch):
            if done[b]:
                next_rows[b * k:(b + 1) * k] = b * k
                continue
            filled = 0
            for rank, c in enumerate(top[b]):
                beam, token = divmod(int(c), vocab)
                score = candidates[b, c]
                if not np.isfinite(score):
                    break
                if token in stops:
                    if rank < k:
                        finished[b].append(
                            (norm(score, step + 1), score, tokens[b * k + beam, length:index].copy()))
                    continue
                next_rows[b * k + filled] = b * k + beam
                next_tokens_[b * k + filled] = token
                next_scores[b, filled] = score
                filled += 1
                if filled == k:
                    break
            for j in range(filled, k):
                next_rows[b * k + j] = b * k
            best_live = next_scores[b].max()
            if len(finished[b]) >= k and (not np.isfinite(best_live) or
                                          min(f[0] for f in finished[b]) >= norm(best_live, step + 1)):
                done[b] = True
            elif not np.isfinite(best_live):
                done[b] = True
        tokens = tokens[next_rows]
        tokens[:, index] = next_tokens_
        stepper.reorder(next_rows)
        scores = next_scores
        if done.all():
            break
    generated = min(step + 1, max_new_tokens)
    results, best_scores = [], []
    for b in range(batch):
        if not done[b]:
            for j in range(k):
                if np.isfinite(scores[b, j]):
                    finished[b].append((norm(scores[b, j], generated), scores[b, j],
                                        tokens[b * k + j, length:length + generated].copy()))
        best = max(finished[b], key=lambda f: f[0])
        results.append(np.asarray(best[2], dtype="int32"))
        best_scores.append(float(best[0]))
    return results, best_scores
