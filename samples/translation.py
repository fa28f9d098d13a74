"""Fine-tune an encoder-decoder (BART or T5) to translate English to German,
report BLEU and chrF (greedy and beam search), save and reload.

    python samples/translation.py --checkpoint path/to/bart-or-t5   # a HF directory
    python samples/translation.py                                  # tiny random BART (dry run)

Pairs: Django's German UI strings (from the installed Django wheel) and
Multi30k image captions from ../shared/data (research data, never copied
into the repository). Without `--checkpoint` there is no pretrained
translator offline: the sample writes a tiny random BART with
`transformers` and trains it from scratch for a few minutes, so BLEU stays
low: the numbers show the mechanics, not translation quality.
"""

import argparse
import gzip
import os
import sys
import tempfile

import kerasft as kft
from kerasft.data import django_po_file, read_po_pairs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments, save_and_reload


def read_lines(path, limit=None):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        lines = [line.rstrip("\n") for line in f]
    return lines[:limit]


def write_tiny_bart(directory, texts, vocab_size=2000):
    """A random 2-layer BART + byte-level BPE trained on `texts`."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import BartConfig, BartForConditionalGeneration, BartTokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=vocab_size,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(directory)
    tokenizer = BartTokenizerFast.from_pretrained(directory)
    tokenizer.save_pretrained(directory)
    config = BartConfig(vocab_size=len(tokenizer), d_model=128, encoder_layers=2,
                        decoder_layers=2, encoder_attention_heads=4, decoder_attention_heads=4,
                        encoder_ffn_dim=256, decoder_ffn_dim=256, max_position_embeddings=128,
                        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                        eos_token_id=tokenizer.eos_token_id,
                        decoder_start_token_id=tokenizer.eos_token_id)
    BartForConditionalGeneration(config).save_pretrained(directory)
    return directory


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", help="a HF BART or T5 directory (default: tiny random BART)")
    parser.add_argument("--source-prefix", default="", help='T5: "translate English to German: "')
    common_arguments(parser, data="multi30k", epochs=4, output="runs/sample_translation")
    parser.add_argument("--train-pairs", type=int, default=4000, help="Multi30k pairs to train on")
    parser.add_argument("--test-pairs", type=int, default=200)
    args = parser.parse_args()

    django_en, django_de = read_po_pairs(django_po_file("de"))
    train_en = read_lines(os.path.join(args.data, "train.en.gz"), args.train_pairs) + django_en
    train_de = read_lines(os.path.join(args.data, "train.de.gz"), args.train_pairs) + django_de
    val_en = read_lines(os.path.join(args.data, "val.en"), 200)
    val_de = read_lines(os.path.join(args.data, "val.de"), 200)
    test_en = read_lines(os.path.join(args.data, "test_2016_flickr.en"), args.test_pairs)
    test_de = read_lines(os.path.join(args.data, "test_2016_flickr.de"), args.test_pairs)
    checkpoint = args.checkpoint or write_tiny_bart(tempfile.mkdtemp(prefix="tiny-bart-"),
                                                    train_en + train_de)

    model = kft.Seq2SeqLM.from_pretrained(checkpoint, sequence_length=64,
                                          source_prefix=args.source_prefix)
    model.compile(learning_rate=1e-4 if args.checkpoint else 2e-3)
    model.fit(train_en, train_de, validation_data=(val_en, val_de), epochs=args.epochs,
              batch_size=32, seed=0)

    greedy = model.evaluate_report(test_en, test_de, output_dir=args.output)
    beam = model.evaluate_report(test_en, test_de, num_beams=4)
    for name, report in (("greedy", greedy), ("beam 4", beam)):
        print(f"{name:7s} BLEU {report['bleu']:6.2f}  chrF {report['chrf']:6.2f}  "
              f"perplexity {report['perplexity']:.2f}")
    print(greedy["bleu_signature"])
    for example in greedy["examples"][:3]:
        print(example)

    reloaded = save_and_reload(model, args.output)
    print(reloaded.generate(["Save changes", "Two dogs play in the snow."], num_beams=4))


if __name__ == "__main__":
    main()
