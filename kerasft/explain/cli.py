"""`kerasft explain MODEL "text" ...`: word attributions in the shell."""

import json

from kerasft.errors import KerasftError
from kerasft.explain.methods import METHODS


def add_explain_flags(p):
    p.add_argument("model", help="run directory or saved model directory")
    p.add_argument("texts", nargs="*", help="texts to explain (contexts with --question)")
    p.add_argument("--pair", action="append", default=None,
                   help="second text of a sentence pair, one per text")
    p.add_argument("--question", help="question answering: the question about each text")
    p.add_argument("--target", help="label (or target name, entity type) to explain "
                                    "instead of the prediction")
    p.add_argument("--method", choices=METHODS, default="integrated_gradients")
    p.add_argument("--steps", type=int, default=32, help="integrated-gradients steps")
    p.add_argument("--html", help="write a shaded HTML page here")
    p.add_argument("--png", help="write a shaded PNG here")
    p.add_argument("--json", action="store_true", help="one JSON record per input")


def _inputs(args):
    if not args.texts:
        raise KerasftError("`kerasft explain` needs texts to explain. Received: none. "
                           'Pass them after the model, e.g. kerasft explain RUN "text".')
    texts = list(args.texts)
    if args.question is not None:
        return ([args.question] * len(texts), texts)
    if args.pair is not None:
        if len(args.pair) != len(texts):
            raise KerasftError(
                f"Expected one --pair per text. Received: {len(texts)} texts and "
                f"{len(args.pair)} --pair values. Repeat --pair once per text.")
        return (texts, list(args.pair))
    return texts


def format_explanation(e):
    """Lines a person reads: the target, then each word with its score."""
    lines = []
    for a in e.attributions:
        target = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in a.target.items())
        gap = "" if a.completeness_gap is None else \
            f"  completeness gap {a.completeness_gap:.2g} ({'ok' if a.complete else 'over'})"
        lines.append(f"{target}  [{e.method}, output {a.output:.4g}{gap}]")
        lines.append("  " + " ".join(f"{w['word']}({s:+.3f})"
                                     for w, s in zip(e.words, a.scores)))
    if not e.attributions:
        lines.append("(nothing to explain: no prediction)")
    lines.extend(f"  warning: {w}" for w in e.warnings)
    return "\n".join(lines)


def run_explain(args):
    from kerasft.explain.rendering import explain_html, plot_explanations
    from kerasft.runs import resolve_model_directory
    from kerasft.tasks.task import load

    model = load(resolve_model_directory(args.model))
    explanations = model.explain(_inputs(args), target=args.target, method=args.method,
                                 steps=args.steps)
    for e in explanations:
        print(json.dumps(e.to_dict(), ensure_ascii=False) if args.json else
              format_explanation(e))
    if args.html:
        explain_html(explanations, args.html)
        print(f"HTML written to {args.html}")
    if args.png:
        plot_explanations(explanations, args.png)
        print(f"PNG written to {args.png}")
