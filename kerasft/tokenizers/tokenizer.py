"""A fast sub-word tokenizer read from a checkpoint directory.

kerasft tokenizes with Hugging Face `tokenizers` (Rust, batched, with
character offsets), so token ids match the checkpoint's own tokenizer
exactly, offsets are available for NER and QA, and every architecture's
scheme (WordPiece, BPE, Unigram) goes through one code path.
"""

import json
import os

import numpy as np

from kerasft.errors import CheckpointError

TOKENIZER_FILE = "tokenizer.json"
VOCAB_FILE = "vocab.txt"
CONFIG_FILE = "tokenizer_config.json"
# Files of "slow" tokenizers that transformers converts to a fast one:
# SentencePiece models (ALBERT, XLNet, T5, DeBERTa-v3, XLM-R) and GPT-2
# style byte-level BPE (vocab.json + merges.txt).
SLOW_TOKENIZER_FILES = (
    "spiece.model", "spm.model", "sentencepiece.bpe.model", "tokenizer.model",
    "vocab.json",
)
_CHUNK = 4096


def _read_json(path):
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise CheckpointError(
            f"Could not read the JSON file {path}: {e}. Received a broken "
            "file; restore it from the original checkpoint."
        ) from e


def _special_token(value):
    # tokenizer_config.json stores tokens as strings or as AddedToken dicts.
    if isinstance(value, dict):
        return value.get("content")
    return value


def _convert_slow_tokenizer(path):
    """The fast tokenizer transformers builds from slow-tokenizer files."""
    try:
        from transformers import AutoTokenizer
    except ImportError as e:
        raise ImportError(
            f"{path} has no tokenizer.json, only slow-tokenizer files "
            f"({', '.join(SLOW_TOKENIZER_FILES)}); converting them needs "
            "transformers. Install it with `pip install 'transformers>=5' "
            "sentencepiece protobuf`, or save the tokenizer once with "
            "`AutoTokenizer.from_pretrained(path).save_pretrained(path)`."
        ) from e
    return AutoTokenizer.from_pretrained(path).backend_tokenizer


class Tokenizer:
    """Sub-word tokenizer with the conventions of one checkpoint.

    Args:
        tokenizer: `tokenizers.Tokenizer`. The fast tokenizer, with its
            normalizer, pre-tokenizer, model and post-processor (special
            tokens) as the checkpoint defines them.
        pad_token: str or None. The padding token. Defaults to the
            checkpoint's; falls back to the end-of-text token for decoders
            that have none (GPT-2).
        padding_side: str. `"right"` or `"left"` (XLNet). Defaults to
            `"right"`.
        lowercase: bool. Whether the normalizer lowercases; recorded for
            exporters that rebuild the tokenizer in-graph. Defaults to True.
    """

    def __init__(self, tokenizer, pad_token=None, padding_side="right", lowercase=True):
        if padding_side not in ("right", "left"):
            raise ValueError(
                "`padding_side` must be 'right' or 'left'. "
                f"Received: padding_side={padding_side!r}"
            )
        self.tokenizer = tokenizer
        # The checkpoint's own padding/truncation settings would fight ours.
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self.pad_token = pad_token
        self.padding_side = padding_side
        self.lowercase = lowercase
        self.pad_token_id = self._token_id(pad_token, default=0)

    # -- loading -------------------------------------------------------------
    @classmethod
    def from_directory(cls, path):
        """Reads a tokenizer from a Hugging Face or keras-hub directory.

        Looks for, in order: `tokenizer.json`; `vocab.txt` (BERT WordPiece);
        keras-hub's `assets/tokenizer/vocabulary.txt`; a SentencePiece model
        or `vocab.json` + `merges.txt` (converted by transformers, as
        `AutoTokenizer` does).

        Raises:
            CheckpointError: none of those files is there or one is broken.
            ImportError: only SentencePiece / BPE files are there and
                transformers is not installed.
        """
        import tokenizers

        config = _read_json(os.path.join(path, CONFIG_FILE))
        model_config = _read_json(os.path.join(path, "config.json"))
        lowercase = bool(config.get("do_lower_case", config.get("lowercase", True)))
        tokenizer_json = os.path.join(path, TOKENIZER_FILE)
        vocab_txt = os.path.join(path, VOCAB_FILE)
        hub_vocab = os.path.join(path, "assets", "tokenizer", "vocabulary.txt")
        try:
            if os.path.isfile(tokenizer_json):
                tok = tokenizers.Tokenizer.from_file(tokenizer_json)
            elif os.path.isfile(vocab_txt) or os.path.isfile(hub_vocab):
                hub = _read_json(os.path.join(path, "tokenizer.json"))
                if not os.path.isfile(vocab_txt):
                    vocab_txt = hub_vocab
                    lowercase = bool(hub.get("config", {}).get("lowercase", lowercase))
                from tokenizers.implementations import BertWordPieceTokenizer

                tok = BertWordPieceTokenizer(vocab_txt, lowercase=lowercase)._tokenizer
            elif any(os.path.isfile(os.path.join(path, f)) for f in SLOW_TOKENIZER_FILES):
                tok = _convert_slow_tokenizer(path)
            else:
                raise CheckpointError(
                    f"No tokenizer found in {path}. Expected `{TOKENIZER_FILE}` "
                    f"(Hugging Face fast tokenizer) or `{VOCAB_FILE}` (BERT "
                    "WordPiece). Received files: "
                    f"{sorted(os.listdir(path)) if os.path.isdir(path) else 'none'}"
                    ". Copy the tokenizer files of the checkpoint into it."
                )
        except (CheckpointError, ImportError):
            raise
        except Exception as e:  # tokenizers raises plain Exception on bad JSON
            raise CheckpointError(
                f"Could not read the tokenizer in {path}: {e}. The file is "
                "broken or from an unsupported tokenizers version; restore it "
                "from the original checkpoint."
            ) from e
        pad = _special_token(config.get("pad_token"))
        if pad is None:
            for candidate in ("[PAD]", "<pad>", "<|endoftext|>", "</s>"):
                if tok.token_to_id(candidate) is not None:
                    pad = candidate
                    break
        side = config.get("padding_side")
        if side is None:
            side = "left" if model_config.get("model_type") == "xlnet" else "right"
        return cls(tok, pad_token=pad, padding_side=side, lowercase=lowercase)

    def save(self, path):
        """Writes `tokenizer.json`, `tokenizer_config.json` and, for
        WordPiece models, `vocab.txt` (read by MediaPipe and in-graph
        tokenizers)."""
        os.makedirs(path, exist_ok=True)
        self.tokenizer.save(os.path.join(path, TOKENIZER_FILE))
        with open(os.path.join(path, CONFIG_FILE), "w", encoding="utf-8") as f:
            json.dump(self.get_config(), f, indent=2)
        if self.model_type == "WordPiece":
            with open(os.path.join(path, VOCAB_FILE), "w", encoding="utf-8") as f:
                f.write("\n".join(self.vocabulary) + "\n")

    def get_config(self):
        return {
            "pad_token": self.pad_token,
            "padding_side": self.padding_side,
            "lowercase": self.lowercase,
            "do_lower_case": self.lowercase,
        }

    # -- properties ----------------------------------------------------------
    @property
    def model_type(self):
        """The sub-word model: `"WordPiece"`, `"BPE"`, `"Unigram"`, ..."""
        return json.loads(self.tokenizer.to_str())["model"]["type"]

    @property
    def vocabulary_size(self):
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    @property
    def vocabulary(self):
        """Tokens ordered by id."""
        vocab = self.tokenizer.get_vocab(with_added_tokens=True)
        tokens = [""] * (max(vocab.values()) + 1)
        for token, index in vocab.items():
            tokens[index] = token
        return tokens

    def _token_id(self, token, default=None):
        if token is None:
            return default
        index = self.tokenizer.token_to_id(token)
        return default if index is None else index

    def token_to_id(self, token):
        return self.tokenizer.token_to_id(token)

    def id_to_token(self, index):
        return self.tokenizer.id_to_token(int(index))

    # -- encoding ------------------------------------------------------------
    def encode(self, texts, pairs=None, sequence_length=None, stride=0,
               return_offsets=False, progress=False, is_pretokenized=False,
               add_special_tokens=True):
        """Tokenizes a batch of texts (or text pairs) without padding.

        Args:
            texts: list of str.
            pairs: list of str or None. Second texts of sentence pairs.
            sequence_length: int or None. Truncate each encoding (special
                tokens included) to this many tokens.
            stride: int. Unused unless overflowing windows are wanted.
            return_offsets: bool. Also return character offsets and word
                ids (for NER and QA).
            progress: bool. Show a progress bar for large inputs.
            is_pretokenized: bool. Each text is a list of words (NER); the
                returned `word_ids` then index those words. Defaults to False.
            add_special_tokens: bool. Add the checkpoint's special tokens
                (`[CLS]`, `[SEP]`...). Defaults to True.

        Returns:
            A dict of lists of 1-D int32 numpy arrays: `"token_ids"`,
            `"segment_ids"` and, with `return_offsets`, `"offsets"` (int32
            `[n, 2]`) and `"word_ids"` (-1 for special tokens).
        """
        if sequence_length is not None:
            self.tokenizer.enable_truncation(sequence_length, stride=stride)
        else:
            self.tokenizer.no_truncation()
        items = list(texts) if pairs is None else list(zip(texts, pairs))
        out = {"token_ids": [], "segment_ids": []}
        if return_offsets:
            out["offsets"], out["word_ids"] = [], []
        chunks = range(0, len(items), _CHUNK)
        if progress and len(items) > _CHUNK:
            from tqdm.auto import tqdm

            chunks = tqdm(chunks, desc="Tokenizing", unit="chunk")
        for start in chunks:
            for enc in self.tokenizer.encode_batch(
                    items[start:start + _CHUNK], is_pretokenized=is_pretokenized,
                    add_special_tokens=add_special_tokens):
                out["token_ids"].append(np.asarray(enc.ids, dtype="int32"))
                out["segment_ids"].append(np.asarray(enc.type_ids, dtype="int32"))
                if return_offsets:
                    out["offsets"].append(np.asarray(enc.offsets, dtype="int32").reshape(-1, 2))
                    out["word_ids"].append(np.asarray(
                        [-1 if w is None else w for w in enc.word_ids], dtype="int32"))
        self.tokenizer.no_truncation()
        return out

    def decode(self, token_ids, skip_special_tokens=True):
        return self.tokenizer.decode([int(i) for i in token_ids],
                                     skip_special_tokens=skip_special_tokens)
