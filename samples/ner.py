"""Named-entity recognition: fine-tune MiniLM on CoNLL-2003, report, predict, save.

About 3 minutes on 2 CPU cores with the defaults (2,000 training sentences,
2 epochs). CoNLL-2003 is research-use data that kerasft does not ship; pass
`--data DIR` holding its train.txt / valid.txt / test.txt.

    python samples/ner.py [--data ../shared/data/conll2003] [--epochs 2]
"""

import argparse
import os
import sys

import kerasft as kft
from kerasft.data import entity_types, iob2_tags, read_conll

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser, data="conll2003", data_help="folder with train/valid/test.txt",
                     backbone="minilm-l6", layers_flag="--num-layers", epochs=2,
                     sequence_length=128, output="runs/ner_sample")
    parser.add_argument("--train-sentences", type=int, default=2000)
    parser.add_argument("--test-sentences", type=int, default=1000)
    args = parser.parse_args()

    # 1. Data: CoNLL column files (token first, tag last), tags normalized to IOB2.
    train = read_conll(os.path.join(args.data, "train.txt"))
    valid = read_conll(os.path.join(args.data, "valid.txt"))
    test = read_conll(os.path.join(args.data, "test.txt"))
    n, m = args.train_sentences, args.test_sentences

    # 2. Model: the backbone plus a per-token softmax over the IOB2 tags.
    tags = iob2_tags(entity_types(train.tags))  # O, B-LOC, I-LOC, B-MISC, ...
    model = kft.TokenClassifier.from_pretrained(
        args.backbone, tags=tags, sequence_length=args.sequence_length,
        backbone_config={"num_layers": args.num_layers} if args.num_layers else None)
    model.compile(learning_rate=1e-4)

    # 3. Fit on pre-split words: sub-word alignment and windows happen inside.
    model.fit(train.tokens[:n], train.tags[:n], epochs=args.epochs, batch_size=32,
              validation_data=(valid.tokens[:m // 2], valid.tags[:m // 2]), verbose=2)

    # 4. Entity-level report (seqeval), per type and averaged.
    report = model.evaluate_report(test.tokens[:m], test.tags[:m])
    print(model.format_report(report))

    # 5. Raw text in, entities with exact character offsets out.
    text = "Angela Merkel met Emmanuel Macron in Paris on Monday, Reuters reported."
    for entity in model.predict([text])[0]:
        assert text[entity["start"]:entity["end"]] == entity["text"]
        print(f"{entity['type']:5} {entity['text']!r:24} "
              f"[{entity['start']}:{entity['end']}] score {entity['score']:.3f}")

    # 6. Save and reload: weights, tokenizer, tags and config.
    path = os.path.join(args.output, "model")
    model.save(path, overwrite=True)
    reloaded = kft.load(path)
    assert reloaded.predict_tags(test.tokens[:5]) == model.predict_tags(test.tokens[:5])
    print(f"Saved to {path}")


if __name__ == "__main__":
    main()
