"""Sub-tokens -> words, with character offsets into the original texts.

Words are those of `kerasft.decoding.ner.split_words` (runs of word
characters, each punctuation mark on its own: the words a reader sees,
whatever the tokenizer: WordPiece, BPE or SentencePiece). A token belongs to
every word its character span overlaps (its score is shared equally); a
token that covers only whitespace (SentencePiece's lone `▁`) goes to the
next word. Special tokens belong to no word and are never shown.
"""

import numpy as np

from kerasft.decoding.ner import split_words


def word_groups(texts, token_text, offsets):
    """Groups the tokens of one model input by word.

    Args:
        texts: list of str. The input's texts (one, or two for pairs).
        token_text: int array `[tokens]`. The text each token comes from,
            -1 for special tokens.
        offsets: int array `[tokens, 2]`. Character span of each token in
            its text.

    Returns:
        A list of dicts in reading order: `"word"`, `"start"`, `"end"`
        (`texts[text][start:end] == word`), `"text"` (index into `texts`)
        and `"tokens"`, a list of `(token index, share)`. Words with no
        token (cut off by truncation) are left out.
    """
    groups = []
    for t, text in enumerate(texts):
        words, spans = split_words(text)
        members = [[] for _ in words]
        starts = np.array([s for s, _ in spans], dtype="int64")
        ends = np.array([e for _, e in spans], dtype="int64")
        for i in np.flatnonzero(np.asarray(token_text) == t):
            s, e = int(offsets[i][0]), int(offsets[i][1])
            hit = np.flatnonzero((starts < e) & (ends > s)) if e > s else np.array([], int)
            if hit.size == 0 and len(words):  # whitespace only: the next word
                after = np.flatnonzero(starts >= s)
                hit = after[:1] if after.size else np.array([len(words) - 1])
            for w in hit:
                members[w].append((int(i), 1.0 / hit.size))
        for w, (word, (s, e)) in enumerate(zip(words, spans)):
            if members[w]:
                groups.append({"word": word, "start": s, "end": e, "text": t,
                               "tokens": members[w]})
    return groups


def word_scores(groups, token_scores):
    """Sums token scores per word (shared tokens split): float64 `[words]`.
    Their total is the total over non-special tokens."""
    token_scores = np.asarray(token_scores, dtype="float64")
    return np.array([sum(share * token_scores[i] for i, share in g["tokens"])
                     for g in groups], dtype="float64")
