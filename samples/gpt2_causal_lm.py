"""Fine-tune a GPT-2 checkpoint on raw text files, report perplexity,
generate (greedy, top-k, top-p), save, reload, export a generate signature.

    python samples/gpt2_causal_lm.py --checkpoint path/to/gpt2   # a HF GPT-2 directory
    python samples/gpt2_causal_lm.py                            # tiny random GPT-2 (dry run)

Without `--checkpoint` there is no pretrained GPT-2 offline, so the sample
writes a tiny random one with `transformers` (its tokenizer trained on the
training file) and trains it from scratch: perplexity falls, generations
show the mechanics, not quality. The text is Multi30k's English captions
from ../shared/data (research data, never copied into the repository).
"""

import argparse
import os
import sys
import tempfile

import kerasft as kft

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments, save_and_reload


def write_tiny_gpt2(directory, training_file, vocab_size=1000):
    """A random 2-layer GPT-2 + byte-level BPE, saved as a HF checkpoint."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2TokenizerFast

    bpe = ByteLevelBPETokenizer()
    bpe.train([training_file], vocab_size=vocab_size, special_tokens=["<|endoftext|>"])
    tokenizer = GPT2TokenizerFast(tokenizer_object=bpe._tokenizer, eos_token="<|endoftext|>",
                                  bos_token="<|endoftext|>", unk_token="<|endoftext|>")
    tokenizer.save_pretrained(directory)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=128, n_embd=64, n_layer=2,
                        n_head=4, bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id)
    GPT2LMHeadModel(config).save_pretrained(directory)
    return directory


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoint", help="a Hugging Face GPT-2 directory (default: tiny random)")
    common_arguments(parser, data="multi30k", epochs=3, output="runs/sample_gpt2")
    parser.add_argument("--block-size", type=int, default=64)
    parser.add_argument("--lora-rank", type=int, default=None, help="train LoRA adapters only")
    args = parser.parse_args()

    train_file = os.path.join(args.data, "val.en")           # 1,014 captions
    test_file = os.path.join(args.data, "test_2016_flickr.en")
    checkpoint = args.checkpoint or write_tiny_gpt2(tempfile.mkdtemp(prefix="tiny-gpt2-"),
                                                    train_file)

    model = kft.CausalLM.from_pretrained(checkpoint, sequence_length=args.block_size,
                                         lora_rank=args.lora_rank)
    print("before:", model.evaluate_report([test_file]))
    model.compile(learning_rate=5e-4 if args.checkpoint else 3e-3)
    model.fit([train_file], validation_data=[test_file], epochs=args.epochs, batch_size=16,
              seed=0)
    report = model.evaluate_report([test_file], output_dir=args.output)
    print("after: ", report)

    prompts = ["A man in a blue shirt", "Two dogs"]
    print("greedy:", model.generate(prompts, max_new_tokens=20))
    print("top-k: ", model.generate(prompts, max_new_tokens=20, top_k=20, seed=0))
    print("top-p: ", model.generate(prompts, max_new_tokens=20, top_p=0.9, temperature=0.8,
                                    seed=0))

    reloaded = save_and_reload(model, args.output)  # LoRA merged on save
    print("reloaded greedy:", reloaded.generate(prompts, max_new_tokens=20))
    reloaded.export_generate(args.output + "/generate_saved_model", max_new_tokens=20)
    print("SavedModel with a `generate` signature in", args.output + "/generate_saved_model")


if __name__ == "__main__":
    main()
