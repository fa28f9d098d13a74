"""Extractive question answering: fine-tune MiniLM on SQuAD v1.1, report, answer, save.

About 5 minutes on 2 CPU cores with the defaults (1,000 training questions,
1 epoch, 256-token windows). SQuAD is CC BY-SA 4.0 and kerasft does not ship
it; pass `--data DIR` holding train.json / eval.json (SQuAD v1.1 or v2.0 JSON).

    python samples/question_answering.py [--data ../shared/data/squad_v1.1] [--epochs 1]
"""

import argparse
import os
import sys

import kerasft as kft
from kerasft.data import read_squad

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # samples/_common.py
from _common import common_arguments


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_arguments(parser, data="squad_v1.1", data_help="folder with train.json and eval.json",
                     backbone="minilm-l6", layers_flag="--num-layers", epochs=1,
                     sequence_length=256, output="runs/qa_sample")
    parser.add_argument("--train-questions", type=int, default=1000)
    parser.add_argument("--eval-questions", type=int, default=300)
    args = parser.parse_args()

    # 1. Data: SQuAD JSON, checked record by record (answers at their offsets).
    train = read_squad(os.path.join(args.data, "train.json"))
    test = read_squad(os.path.join(args.data, "eval.json"))
    train = train.subset(range(min(args.train_questions, len(train))))
    test = test.subset(range(min(args.eval_questions, len(test))))

    # 2. Model: the backbone scores each context token as answer start and end.
    #    Long contexts become windows sharing `doc_stride` tokens. A v2.0 file
    #    (unanswerable questions) would call for version_2_with_negative=True.
    model = kft.QuestionAnswerer.from_pretrained(
        args.backbone, sequence_length=args.sequence_length, doc_stride=128,
        version_2_with_negative=train.has_impossible,
        backbone_config={"num_layers": args.num_layers} if args.num_layers else None)
    model.compile(learning_rate=1e-4)

    # 3. Fit on (questions, contexts) and answers ({"text", "answer_start"}).
    model.fit(train.inputs, train.answers, epochs=args.epochs, batch_size=32, verbose=2)

    # 4. SQuAD exact match and F1 (official normalization, best gold answer).
    report = model.evaluate_report(test.inputs, test.answers,
                                   output_dir=os.path.join(args.output, "report"))
    print(model.format_report(report))

    # 5. Raw strings in, the answer with exact character offsets out.
    context = ("The Eiffel Tower was built by Gustave Eiffel's company for the 1889 "
               "World's Fair in Paris. It is 330 metres tall.")
    for question in ("Who built the Eiffel Tower?", "How tall is the tower?"):
        answer = model.predict(question, context)
        assert answer["answer"] == context[answer["start"]:answer["end"]]
        print(f"{question} -> {answer['answer']!r} [{answer['start']}:{answer['end']}] "
              f"p={answer['probability']:.2f}")

    # 6. Save and reload: weights, tokenizer, window and decoding settings.
    path = os.path.join(args.output, "model")
    model.save(path, overwrite=True)
    reloaded = kft.load(path)
    assert reloaded.predict(*test.subset(range(5)).inputs) == \
        model.predict(*test.subset(range(5)).inputs)
    print(f"Saved to {path}")


if __name__ == "__main__":
    main()
