"""XLNet sentence classification from a Hugging Face directory, on Pang & Lee polarity.

    python samples/xlnet_classification.py --checkpoint DIR [--epochs 3]
    python samples/xlnet_classification.py                # tiny random XLNet

`--checkpoint` takes any XLNet directory saved by transformers
(`XLNetModel` / `XLNetForSequenceClassification` ... `save_pretrained`:
config.json, model.safetensors, spiece.model or tokenizer.json), such as
`xlnet/xlnet-base-cased` downloaded where you have a network.

No package registry reachable here ships XLNet weights, so without
`--checkpoint` the sample writes a tiny random XLNet (2 layers, width 64)
with transformers and a SentencePiece vocabulary trained on the data
(needs `pip install 'transformers>=5' sentencepiece protobuf torch`). That
model has learnt no language: expect accuracy near chance (50%) on the 20
test sentences. It shows the XLNet path, not a result: kerasft reads
XLNet's conventions from the checkpoint (left padding, `<sep> <cls>` at the
end with `<cls>` in segment 2) and `pooling="auto"` summarises each text
from its last position, where `<cls>` sits, as transformers'
`XLNetForSequenceClassification` does. About a minute on 2 CPU cores.
"""

import argparse
import os
import tempfile

import numpy as np

import kerasft as kft
from kerasft.data import train_test_split
from kerasft.datasets import load_polarity


def write_tiny_xlnet(directory, texts, seed=0):
    """Saves a tiny random `XLNetModel` and its tokenizer in `directory`."""
    import io

    import sentencepiece as spm
    import torch
    import transformers

    os.makedirs(directory, exist_ok=True)
    model_file = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(texts), model_writer=model_file, vocab_size=1000,
        character_coverage=1.0, hard_vocab_limit=False, minloglevel=2, num_threads=1,
        unk_id=0, bos_id=1, eos_id=2, pad_id=5, control_symbols=["<cls>", "<sep>"],
        user_defined_symbols=["<mask>", "<eod>"])
    with open(os.path.join(directory, "spiece.model"), "wb") as f:
        f.write(model_file.getvalue())
    tokenizer = transformers.XLNetTokenizer.from_pretrained(directory)
    tokenizer.save_pretrained(directory)
    torch.manual_seed(seed)
    config = transformers.XLNetConfig(vocab_size=len(tokenizer), d_model=64, n_layer=2,
                                      n_head=4, d_inner=128, pad_token_id=5)
    transformers.XLNetModel(config).eval().save_pretrained(directory)
    return directory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None,
                        help="an XLNet directory saved by transformers; default: tiny random")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--learning-rate", type=float, default=None,
                        help="default: 3e-5 for --checkpoint, 1e-3 for the random model")
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--output", default="runs/xlnet_polarity")
    args = parser.parse_args()

    # 1. Data: 200 movie-review sentences (100 neg, 100 pos), split 160/20/20.
    texts, labels = load_polarity()
    train, test = train_test_split(texts, labels, test_size=40, seed=42)
    val, test = train_test_split(test, test_size=20, seed=42)

    # 2. Model: XLNet from a directory; tokenizer, padding side and segment
    #    ids come from the checkpoint.
    checkpoint = args.checkpoint
    if checkpoint is None:
        checkpoint = write_tiny_xlnet(tempfile.mkdtemp(prefix="tiny-xlnet-"), train.texts)
        print(f"No --checkpoint: wrote a tiny random XLNet to {checkpoint}")
    model = kft.TextClassifier.from_pretrained(
        checkpoint, labels=["neg", "pos"], sequence_length=args.sequence_length)
    tokenizer = model.preprocessor.tokenizer
    print(f"backbone {type(model.backbone).__name__}, pooling={model.pooling!r}, "
          f"padding_side={tokenizer.padding_side!r}, pad token {tokenizer.pad_token!r}")
    learning_rate = args.learning_rate or (3e-5 if args.checkpoint else 1e-3)
    model.compile(learning_rate=learning_rate)  # AdamW, warmup + linear decay

    # 3. Fit, with early stopping and the best weights kept on validation loss.
    model.fit(train.texts, train.labels, validation_data=(val.texts, val.labels),
              epochs=args.epochs, batch_size=16, seed=42, verbose=2)

    # 4. Accuracy, P/R/F1 and the confusion matrix on the held-out sentences.
    report = model.evaluate_report(test.texts, test.labels,
                                   output_dir=os.path.join(args.output, "report"))
    print(model.format_report(report))

    # 5. Left padding changes nothing: a sentence alone scores as in a batch.
    sentences = ["a gripping , beautiful film .", "tedious and silly from start to end ."]
    batched = model.predict(sentences + test.texts[:6])[:2]
    alone = np.concatenate([model.predict([s]) for s in sentences])
    print(f"max |alone - batched| = {np.abs(alone - batched).max():.1e}")

    # 6. Save, reload, predict.
    model.save(os.path.join(args.output, "model"), overwrite=True)
    reloaded = kft.load(os.path.join(args.output, "model"))
    for sentence, label in zip(sentences, reloaded.predict_labels(sentences)):
        print(f"{label}: {sentence}")
    return report


if __name__ == "__main__":
    main()
