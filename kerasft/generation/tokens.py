"""Special tokens of generation: end of text, stop tokens, prompt ids."""

import numpy as np

from kerasft.decoding.generation import trim_prompt
from kerasft.errors import ConfigError

EOS_CANDIDATES = ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]")


def default_eos_token_id(tokenizer):
    """The end-of-text id of a tokenizer (first known name found), or None."""
    for token in EOS_CANDIDATES:
        index = tokenizer.token_to_id(token)
        if index is not None:
            return int(index)
    return None


def stop_token_ids(tokenizer, stop_tokens, eos_token_id=None):
    """Ids of `stop_tokens`.

    Args:
        tokenizer: `kerasft.Tokenizer`.
        stop_tokens: `"auto"` (`eos_token_id`, if any), None (none), or a
            list of token ids or token strings.
        eos_token_id: int or None.

    Raises:
        ConfigError: a token string outside the vocabulary.
    """
    if isinstance(stop_tokens, str) and stop_tokens == "auto":
        return [] if eos_token_id is None else [eos_token_id]
    ids = []
    for token in stop_tokens or []:
        if isinstance(token, (int, np.integer)):
            ids.append(int(token))
            continue
        index = tokenizer.token_to_id(token)
        if index is None:
            raise ConfigError(
                f"Unknown stop token. Received: {token!r}, which is not in the "
                "vocabulary. Pass token ids or tokens of the vocabulary."
            )
        ids.append(int(index))
    return ids


def prompt_token_ids(tokenizer, prompts, room, eos_token_id=None):
    """int32 ids of each prompt for a decoder: a trailing end-of-text token
    dropped, an empty prompt started with end-of-text (or padding), and at
    most the last `room` tokens kept."""
    encoded = tokenizer.encode(prompts)["token_ids"]
    return [trim_prompt(ids, room, eos_token_id, tokenizer.pad_token_id) for ids in encoded]
