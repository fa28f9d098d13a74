"""Tiny random Hugging Face checkpoints, written by transformers (CPU torch).

No registry ships these weights: each builder trains a small tokenizer of
the architecture's family, builds a tiny random transformers model and saves
both with `save_pretrained`, so `kerasft.from_pretrained(directory)` goes
through the same code path as a real checkpoint. The conversion tests
compare kerasft's backbone and tokenizer with the originals; the task tests
train on them.
"""

import io
import os

import numpy as np

SAMPLE = [
    "The quick brown fox jumps over the lazy dog.",
    "Müller läuft über die Straße – schön, größer, Ärger!",
    "Le garçon a mangé à l'hôtel ; déjà très élégant, ça va ?",
    "東京は日本の首都です。北京欢迎你",
    "I love it 😀🎉 so much",
]
CORPUS = SAMPLE * 3 + [
    "A tokenizer learns sub-words from text like this sentence.",
    "Shares rose 3% on Monday after the market opened.",
    "The film was not good, but the team played great.",
    "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.",
    "Portez ce vieux whisky au juge blond qui fume.",
    "日本語の文章を少しだけ書きます。",
    "emoji 😀 🎉 👍 ❤️ test",
]
TOLERANCE = 1e-5
# test id -> largest max |difference| it measured (printed by
# tests/backbones/conftest.py).
MEASURED = {}


# -- tokenizer files ----------------------------------------------------------
def write_wordpiece_vocab(directory, vocab_size=400, lowercase=True):
    """Trains a BERT WordPiece vocabulary and writes `vocab.txt`."""
    from tokenizers import BertWordPieceTokenizer

    tok = BertWordPieceTokenizer(lowercase=lowercase)
    tok.train_from_iterator(
        CORPUS, vocab_size=vocab_size, min_frequency=1,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
    )
    tok.save_model(str(directory))


def write_byte_level_bpe(directory, vocab_size=400, special_tokens=()):
    """Trains a GPT-2-style byte-level BPE; writes vocab.json, merges.txt."""
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(
        CORPUS, vocab_size=vocab_size, min_frequency=1,
        special_tokens=list(special_tokens),
    )
    tok.save_model(str(directory))


def write_sentencepiece(path, vocab_size=150, model_type="unigram", **ids):
    """Trains a SentencePiece model and writes it to `path`.

    `ids` are SentencePiece trainer options: `pad_id`, `unk_id`, `bos_id`,
    `eos_id`, `control_symbols`, `user_defined_symbols`, ... .
    """
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(CORPUS), model_writer=buffer,
        vocab_size=vocab_size, model_type=model_type, character_coverage=1.0,
        hard_vocab_limit=False, minloglevel=2, num_threads=1, **ids,
    )
    with open(path, "wb") as f:
        f.write(buffer.getvalue())


def save_tokenizer(directory, tokenizer_cls, **kwargs):
    """Reads the slow files in `directory` with a transformers tokenizer
    class, writes its tokenizer.json + tokenizer_config.json and returns it."""
    tokenizer = tokenizer_cls.from_pretrained(directory, **kwargs)
    tokenizer.save_pretrained(directory)
    return tokenizer


def tokenizer_ids(directory):
    """(kerasft ids, transformers ids) of `SAMPLE` for the tokenizer in
    `directory`, both with the checkpoint's special tokens."""
    from transformers import AutoTokenizer

    from kerasft.tokenizers import Tokenizer

    ours = Tokenizer.from_directory(directory).encode(SAMPLE)["token_ids"]
    theirs = AutoTokenizer.from_pretrained(directory)(SAMPLE)["input_ids"]
    return [list(map(int, ids)) for ids in ours], [list(ids) for ids in theirs]


def copy_without(directory, target, *names):
    """Copies `directory` to `target` leaving out `names`."""
    import shutil

    shutil.copytree(directory, target, ignore=shutil.ignore_patterns(*names))
    return str(target)


# -- models -------------------------------------------------------------------
def save_model(model, directory):
    """Saves a transformers model (safetensors) in eval mode."""
    model.eval()
    model.save_pretrained(directory)
    return model


def padded_inputs(directory, texts=SAMPLE, padding_side=None):
    """Token ids, padding mask and segment ids of `texts` (tokenized with
    kerasft), padded to the longest with the tokenizer's pad id."""
    from kerasft.tokenizers import Tokenizer

    tokenizer = Tokenizer.from_directory(directory)
    side = padding_side or tokenizer.padding_side
    ids = tokenizer.encode(texts)["token_ids"]
    length = max(len(x) for x in ids)
    token_ids = np.full((len(ids), length), tokenizer.pad_token_id, "int32")
    mask = np.zeros((len(ids), length), "int32")
    for row, x in enumerate(ids):
        span = slice(length - len(x), length) if side == "left" else slice(0, len(x))
        token_ids[row, span] = x
        mask[row, span] = 1
    return {"token_ids": token_ids, "padding_mask": mask,
            "segment_ids": np.zeros_like(token_ids)}


def torch_outputs(model, **inputs):
    """Runs a transformers model without gradients on numpy inputs."""
    import torch

    with torch.no_grad():
        return model(**{k: torch.as_tensor(np.asarray(v, "int64")) for k, v in inputs.items()},
                     output_hidden_states=True)


def sequence_output(outputs):
    """The [B, L, H] hidden states of a keras-hub backbone's output."""
    if isinstance(outputs, dict):
        outputs = outputs["sequence_output"]
    return np.asarray(outputs)


def max_difference(keras_states, torch_states, mask):
    """Largest |difference| over the positions that are not padding."""
    keras_states = sequence_output(keras_states)
    torch_states = np.asarray(torch_states.detach().numpy() if hasattr(torch_states, "detach")
                              else torch_states)
    keep = np.asarray(mask, bool)
    value = float(np.max(np.abs(keras_states[keep] - torch_states[keep])))
    test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
    MEASURED[test] = max(value, MEASURED.get(test, 0.0))
    return value


def encoder_difference(directory, model, layer=None, torch_inputs=None, **overrides):
    """Max |difference| between kerasft's backbone loaded from `directory`
    (with `overrides`) and the transformers `model` on padded `SAMPLE`.

    Args:
        layer: int or None. Compare with `hidden_states[layer]` (the output of
            the first `layer` layers) instead of `last_hidden_state`.
        torch_inputs: dict or None. Extra transformers inputs.
    """
    import kerasft

    backbone, _ = kerasft.from_pretrained(directory, **overrides)
    inputs = padded_inputs(directory)
    outputs = torch_outputs(
        model, input_ids=inputs["token_ids"], attention_mask=inputs["padding_mask"],
        **(torch_inputs or {}),
    )
    expected = outputs.last_hidden_state if layer is None else outputs.hidden_states[layer]
    got = backbone({name: inputs[name] for name in backbone.input})
    return max_difference(got, expected, inputs["padding_mask"])



def seq2seq_difference(directory, model, backbone=None, **overrides):
    """(encoder, decoder) max |difference| between kerasft's encoder-decoder
    backbone (`backbone`, or loaded from `directory` with `overrides`) and
    the transformers `model`: `SAMPLE` in, `SAMPLE` shifted by two as
    decoder inputs, both padded."""
    import kerasft

    if backbone is None:
        backbone, _ = kerasft.from_pretrained(directory, **overrides)
    encoder = padded_inputs(directory)
    decoder = padded_inputs(directory, texts=SAMPLE[2:] + SAMPLE[:2])
    outputs = torch_outputs(
        model, input_ids=encoder["token_ids"], attention_mask=encoder["padding_mask"],
        decoder_input_ids=decoder["token_ids"],
        decoder_attention_mask=decoder["padding_mask"],
    )
    got = backbone({
        "encoder_token_ids": encoder["token_ids"],
        "encoder_padding_mask": encoder["padding_mask"],
        "decoder_token_ids": decoder["token_ids"],
        "decoder_padding_mask": decoder["padding_mask"],
    })
    return (
        max_difference(got["encoder_sequence_output"],
                       outputs.encoder_last_hidden_state, encoder["padding_mask"]),
        max_difference(got["decoder_sequence_output"], outputs.last_hidden_state,
                       decoder["padding_mask"]),
    )


def segment_difference(directory, model, second_segment):
    """Max |difference| with segment ids: 1 where `second_segment` (a [L]
    bool array) on every real token of padded `SAMPLE`, else 0."""
    import kerasft

    backbone, _ = kerasft.from_pretrained(directory)
    inputs = padded_inputs(directory)
    inputs["segment_ids"] = (np.asarray(second_segment, "int32")[None]
                             * inputs["padding_mask"]).astype("int32")
    expected = torch_outputs(
        model, input_ids=inputs["token_ids"], attention_mask=inputs["padding_mask"],
        token_type_ids=inputs["segment_ids"],
    ).last_hidden_state
    return max_difference(backbone(inputs), expected, inputs["padding_mask"])


def edit_config(directory, target, **values):
    """Copies the checkpoint `directory` to `target` with `values` set in
    its config.json (None deletes a key); returns `target`."""
    import json
    import shutil

    target = shutil.copytree(directory, target)
    path = os.path.join(target, "config.json")
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    config.update(values)
    config = {k: v for k, v in config.items() if v is not None}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    return target


def scale_weights(model, factor=5.0):
    """Multiplies every parameter in place: std 0.02 becomes 0.1, so the
    feed-forward activations leave the region where all GELU forms agree."""
    import torch

    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(factor)
    return model


# -- whole encoder checkpoints (task tests) ------------------------------------
# model_type -> (tokenizer writer, transformers tokenizer class, config class,
# model class, config arguments). The tokenizer and config settings are those
# of the conversion tests; every model is 2 layers, hidden size 32.
_SIZE = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
             intermediate_size=64)


def _wordpiece(directory):
    write_wordpiece_vocab(directory)


def _roberta_bpe(directory):
    write_byte_level_bpe(directory, special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])


def _gpt2_bpe(directory):
    write_byte_level_bpe(directory, special_tokens=["<|endoftext|>"])


def _albert_spm(directory):
    write_sentencepiece(os.path.join(directory, "spiece.model"), pad_id=0, unk_id=1,
                        bos_id=-1, eos_id=-1, control_symbols=["[CLS]", "[SEP]", "[MASK]"])


def _deberta_spm(directory):
    write_sentencepiece(os.path.join(directory, "spm.model"), pad_id=0, pad_piece="[PAD]",
                        bos_id=1, bos_piece="[CLS]", eos_id=2, eos_piece="[SEP]", unk_id=3,
                        unk_piece="[UNK]", user_defined_symbols=["[MASK]"])


def _xlm_roberta_spm(directory):
    write_sentencepiece(os.path.join(directory, "sentencepiece.bpe.model"), model_type="bpe",
                        bos_id=0, pad_id=1, eos_id=2, unk_id=3)


def _t5_spm(directory):
    write_sentencepiece(os.path.join(directory, "spiece.model"), pad_id=0, eos_id=1, unk_id=2,
                        bos_id=-1)


def _xlnet_spm(directory):
    write_sentencepiece(os.path.join(directory, "spiece.model"), unk_id=0, bos_id=1, eos_id=2,
                        pad_id=5, control_symbols=["<cls>", "<sep>"],
                        user_defined_symbols=["<mask>", "<eod>"])


_ROBERTA = dict(_SIZE, max_position_embeddings=130, layer_norm_eps=1e-5, pad_token_id=1,
                bos_token_id=0, eos_token_id=2)
ENCODERS = {
    "bert": (_wordpiece, "BertTokenizer", "BertConfig", "BertModel",
             dict(_SIZE, max_position_embeddings=128)),
    "distilbert": (_wordpiece, "DistilBertTokenizer", "DistilBertConfig", "DistilBertModel",
                   dict(dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                        max_position_embeddings=128)),
    "roberta": (_roberta_bpe, "RobertaTokenizer", "RobertaConfig", "RobertaModel", _ROBERTA),
    "albert": (_albert_spm, "AlbertTokenizer", "AlbertConfig", "AlbertModel",
               dict(_SIZE, embedding_size=16, max_position_embeddings=128)),
    "electra": (_wordpiece, "ElectraTokenizer", "ElectraConfig", "ElectraModel",
                dict(_SIZE, embedding_size=16, max_position_embeddings=128)),
    "deberta-v2": (_deberta_spm, "DebertaV2Tokenizer", "DebertaV2Config", "DebertaV2Model",
                   dict(_SIZE, max_position_embeddings=64, relative_attention=True,
                        position_buckets=8, norm_rel_ebd="layer_norm", share_att_key=True,
                        pos_att_type=["p2c", "c2p"], position_biased_input=False,
                        type_vocab_size=0, layer_norm_eps=1e-7, max_relative_positions=-1)),
    "xlm-roberta": (_xlm_roberta_spm, "XLMRobertaTokenizer", "XLMRobertaConfig",
                    "XLMRobertaModel", _ROBERTA),
    "xlnet": (_xlnet_spm, "XLNetTokenizer", "XLNetConfig", "XLNetModel",
              dict(d_model=32, n_layer=2, n_head=4, d_inner=64, pad_token_id=5)),
    "gpt2": (_gpt2_bpe, "GPT2Tokenizer", "GPT2Config", "GPT2Model",
             dict(n_embd=32, n_layer=2, n_head=4, n_positions=128)),
    "t5": (_t5_spm, "T5Tokenizer", "T5Config", "T5EncoderModel",
           dict(d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4)),
}


def write_checkpoint(model_type, directory, layout=None, seed=0, **config):
    """Writes a tiny random model of `model_type` (a key of `ENCODERS`) and
    its tokenizer to `directory`.

    Args:
        layout: str or None. The transformers model class to save (a base
            model or a task model such as `"BertForMaskedLM"`). Defaults to
            the base model of `ENCODERS`.
        **config: config values replacing those of `ENCODERS`.

    Returns:
        `(directory, base model)`: the base model (`model.base_model`) in
        eval mode, to compare hidden states with.
    """
    import torch
    import transformers

    write_tokenizer, tokenizer_cls, config_cls, model_cls, settings = ENCODERS[model_type]
    directory = str(directory)
    os.makedirs(directory, exist_ok=True)
    write_tokenizer(directory)
    tokenizer = save_tokenizer(directory, getattr(transformers, tokenizer_cls))
    config = getattr(transformers, config_cls)(vocab_size=len(tokenizer), **{**settings, **config})
    torch.manual_seed(seed)
    model = save_model(getattr(transformers, layout or model_cls)(config), directory)
    return directory, model.base_model.eval()


def write_encoder_checkpoint(model_type, directory, seed=0):
    """Writes a tiny random base model of `model_type` (a key of
    `ENCODERS`) and its tokenizer to `directory`; returns the directory."""
    return write_checkpoint(model_type, directory, seed=seed)[0]


# -- generative checkpoints (GPT-2, BART, T5 task tests) ---------------------
GENERATION_CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A man in a blue shirt is standing on a ladder.",
    "Two dogs play in the snow near a red house.",
    "Save changes? Delete this file. Enter a valid email address.",
    "Ein Mann in einem blauen Hemd steht auf einer Leiter.",
    "Zwei Hunde spielen im Schnee neben einem roten Haus.",
    "Änderungen speichern? Diese Datei löschen. Gültige E-Mail-Adresse eingeben.",
    "one two three four five six seven eight nine ten",
]


def train_byte_level_bpe(corpus=GENERATION_CORPUS, vocab_size=300, special_tokens=("<|endoftext|>",)):
    """A `tokenizers.Tokenizer` with GPT-2's byte-level BPE scheme."""
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(list(corpus) * 3, vocab_size=vocab_size, min_frequency=1,
                            special_tokens=list(special_tokens))
    return tok._tokenizer


def write_gpt2_checkpoint(directory, corpus=GENERATION_CORPUS, vocab_size=300, n_layer=2, n_embd=32,
                          n_head=2, n_positions=64, seed=0):
    """Saves a tiny random `GPT2LMHeadModel` and its tokenizer in `directory`."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    os.makedirs(directory, exist_ok=True)
    tok = GPT2TokenizerFast(tokenizer_object=train_byte_level_bpe(corpus, vocab_size),
                            bos_token="<|endoftext|>", eos_token="<|endoftext|>",
                            unk_token="<|endoftext|>")
    tok.save_pretrained(directory)
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=len(tok), n_positions=n_positions, n_embd=n_embd,
                        n_layer=n_layer, n_head=n_head, bos_token_id=tok.eos_token_id,
                        eos_token_id=tok.eos_token_id)
    model = GPT2LMHeadModel(config).eval()
    model.save_pretrained(directory)
    return model


BART_SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")


def write_bart_checkpoint(directory, corpus=GENERATION_CORPUS, vocab_size=300, d_model=32, layers=2,
                          heads=2, ffn=64, max_positions=64, seed=0):
    """Saves a tiny random `BartForConditionalGeneration` and its tokenizer."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizerFast

    os.makedirs(directory, exist_ok=True)
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(list(corpus) * 3, vocab_size=vocab_size, min_frequency=1,
                            special_tokens=list(BART_SPECIAL_TOKENS))
    bpe.save_model(str(directory))
    tok = BartTokenizerFast.from_pretrained(str(directory))
    tok.save_pretrained(str(directory))
    torch.manual_seed(seed)
    config = BartConfig(
        vocab_size=len(tok), d_model=d_model, encoder_layers=layers, decoder_layers=layers,
        encoder_attention_heads=heads, decoder_attention_heads=heads, encoder_ffn_dim=ffn,
        decoder_ffn_dim=ffn, max_position_embeddings=max_positions,
        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.eos_token_id,
        forced_eos_token_id=tok.eos_token_id)
    model = BartForConditionalGeneration(config).eval()
    model.save_pretrained(str(directory))
    return model


def write_t5_checkpoint(directory, tied=True, corpus=GENERATION_CORPUS, vocab_size=150, seed=0):
    """Saves a tiny random `T5ForConditionalGeneration` (v1.0 style when
    `tied`: ReLU, tied embeddings; else v1.1: gated GELU, own `lm_head`)
    with a SentencePiece tokenizer."""
    import io

    import sentencepiece as spm
    import torch
    from transformers import T5Config, T5ForConditionalGeneration, T5TokenizerFast

    os.makedirs(directory, exist_ok=True)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(corpus) * 3), model_writer=buffer, vocab_size=vocab_size,
        model_type="unigram", character_coverage=1.0, hard_vocab_limit=False, minloglevel=2,
        num_threads=1, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    with open(os.path.join(directory, "spiece.model"), "wb") as f:
        f.write(buffer.getvalue())
    tok = T5TokenizerFast(vocab_file=os.path.join(directory, "spiece.model"), extra_ids=0)
    tok.save_pretrained(str(directory))
    torch.manual_seed(seed)
    config = T5Config(vocab_size=len(tok), d_model=32, d_kv=8, d_ff=64, num_layers=2,
                      num_heads=4, feed_forward_proj="relu" if tied else "gated-gelu",
                      tie_word_embeddings=tied, decoder_start_token_id=tok.pad_token_id,
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id)
    model = T5ForConditionalGeneration(config).eval()
    model.save_pretrained(str(directory))
    return model
