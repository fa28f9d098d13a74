"""Tiny random Hugging Face checkpoints for the generative task tests.

No registry ships these weights: each builder trains a small byte-level
BPE tokenizer on a few sentences, wraps it in the transformers tokenizer
class of the architecture, builds a tiny random transformers model and
saves both with `save_pretrained`, so `kerasft.from_pretrained(directory)`
goes through the same code path as a real checkpoint.
"""

import os

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A man in a blue shirt is standing on a ladder.",
    "Two dogs play in the snow near a red house.",
    "Save changes? Delete this file. Enter a valid email address.",
    "Ein Mann in einem blauen Hemd steht auf einer Leiter.",
    "Zwei Hunde spielen im Schnee neben einem roten Haus.",
    "Änderungen speichern? Diese Datei löschen. Gültige E-Mail-Adresse eingeben.",
    "one two three four five six seven eight nine ten",
]


def train_byte_level_bpe(corpus=CORPUS, vocab_size=300, special_tokens=("<|endoftext|>",)):
    """A `tokenizers.Tokenizer` with GPT-2's byte-level BPE scheme."""
    from tokenizers import ByteLevelBPETokenizer

    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(list(corpus) * 3, vocab_size=vocab_size, min_frequency=1,
                            special_tokens=list(special_tokens))
    return tok._tokenizer


def write_gpt2_checkpoint(directory, corpus=CORPUS, vocab_size=300, n_layer=2, n_embd=32,
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


def write_bart_checkpoint(directory, corpus=CORPUS, vocab_size=300, d_model=32, layers=2,
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


def write_t5_checkpoint(directory, tied=True, corpus=CORPUS, vocab_size=150, seed=0):
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
