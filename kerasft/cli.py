"""`kerasft` command line: train, evaluate, predict, export, explain."""

import argparse
import json
import os
import sys

from kerasft.errors import KerasftError


def _model_dir(path):
    """A run directory (holding model/) or a model directory."""
    inner = os.path.join(path, "model")
    return inner if os.path.isfile(os.path.join(inner, "config.json")) else path


def _check_backbone(source):
    """Checks a local checkpoint's config.json against its weights' headers
    (`validate_checkpoint`) before TensorFlow is imported or data read."""
    from kerasft.backbones.presets import preset_directory, resolve_preset_name
    from kerasft.backbones.validation import validate_checkpoint

    source = str(source)
    if source.startswith(("tiny-", "hf://", "kaggle://")):
        return  # random or not downloaded yet: checked when loaded
    name = resolve_preset_name(source)
    directory = preset_directory(name) if name else source
    if os.path.isdir(directory):
        validate_checkpoint(directory)


def _start_tensorflow(announce=False):
    from kerasft.utils.tf_startup import start_tensorflow

    devices = start_tensorflow()
    if announce:
        print(devices, flush=True)


def _train(args):
    # Only TensorFlow-free modules until the config and checkpoint are checked.
    from kerasft.config import load_config, parse_override

    overrides = dict(parse_override(s) for s in args.set)
    for flag, key in (("name", "name"), ("backbone", "backbone"), ("train", "data.train"),
                      ("validation", "data.validation"), ("test", "data.test"),
                      ("dataset", "data.dataset"), ("epochs", "training.epochs"),
                      ("batch_size", "training.batch_size"),
                      ("sequence_length", "sequence_length"), ("output_dir", "output_dir")):
        value = getattr(args, flag)
        if value is not None:
            overrides[key] = value
    config = load_config(args.config, overrides)
    _check_backbone(config["backbone"])
    if args.workers is not None and args.workers > 1:
        from kerasft.training.ray_launcher import train_config_on_ray

        train_config_on_ray(config, args.workers, overwrite=args.overwrite,
                            restart=args.restart)
        return
    from kerasft.runs import train_from_config

    train_from_config(config, overwrite=args.overwrite, restart=args.restart,
                      start=lambda: _start_tensorflow(announce=True))


def _read_args(model, args, require_labels):
    from kerasft.config import parse_override

    data_config = {"text_column": args.text_column, "label_column": args.label_column,
                   "text_pair_column": args.text_pair_column, "encoding": args.encoding,
                   "reader_options": dict(parse_override(s) for s in args.reader_option)}
    return model.read_data(args.data, data_config, require_labels=require_labels)


def _evaluate(args):
    _start_tensorflow()
    from kerasft.tasks.task import load

    model = load(_model_dir(args.model))
    if not args.data:
        raise KerasftError("`kerasft evaluate` needs --data FILE with labels.")
    from kerasft.runs import naming_source

    data = _read_args(model, args, require_labels=True)
    x, y = model.inputs_targets(data)
    with naming_source(data):
        report = model.evaluate_report(x, y, output_dir=args.output)
    print(model.format_report(report))
    if args.output:
        print(f"Report written to {args.output}")


def _predict(args):
    _start_tensorflow()
    from kerasft.tasks.task import load

    model = load(_model_dir(args.model))
    if args.data:
        x, _ = model.inputs_targets(_read_args(model, args, require_labels=False))
    elif args.texts:
        x = list(args.texts)
    else:
        raise KerasftError("Give texts to predict on, or --data FILE.")
    rows = x if isinstance(x, list) else list(zip(*x))
    for text, record in zip(rows, model.predict_records(x)):
        if args.json:
            print(json.dumps({"input": text, **record}, ensure_ascii=False))
        else:
            summary = {k: v for k, v in record.items() if k != "scores"}
            print(f"{json.dumps(summary, ensure_ascii=False)}\t{text}")


def _export(args):
    _start_tensorflow()
    from kerasft.runs import naming_source, resolve_model_directory
    from kerasft.tasks.task import load

    model = load(resolve_model_directory(args.model))
    kwargs, data = {}, None
    if args.data:
        data = _read_args(model, args, require_labels=args.label_column is not None)
        texts, labels = model.parity_inputs(*model.inputs_targets(data))
        kwargs.update(texts=texts, labels=labels)
    output = args.output or os.path.join(args.model, "export")
    quantization = [q for part in args.quantization for q in part.split(",")]
    with naming_source(data):
        model.export(output, formats=tuple(args.format), quantization=tuple(quantization),
                     overwrite=args.overwrite, sequence_length=args.sequence_length,
                     allow_flex_ops=args.allow_flex_ops, **kwargs)  # says where


def _explain(args):
    from kerasft.explain.cli import run_explain

    run_explain(args)


def _data_flags(p, labels=True):
    p.add_argument("--data", help="CSV, TSV or JSONL file")
    p.add_argument("--text-column", default="text")
    p.add_argument("--text-pair-column", default=None)
    p.add_argument("--label-column", default="label" if labels else None)
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--reader-option", action="append", default=[], metavar="KEY=VALUE",
                   help="extra argument of the task's reader, e.g. header=false")


def build_parser():
    parser = argparse.ArgumentParser(prog="kerasft", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="fine-tune from a YAML config and/or flags")
    p.add_argument("--config", help="YAML config (see configs/)")
    p.add_argument("--name")
    p.add_argument("--backbone")
    p.add_argument("--dataset", help="packaged dataset: bbc_news, polarity")
    p.add_argument("--train")
    p.add_argument("--validation")
    p.add_argument("--test")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--sequence-length", type=int)
    p.add_argument("--output-dir")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config key, e.g. --set training.learning_rate=1e-4")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a finished run of that name (at the end)")
    p.add_argument("--restart", action="store_true",
                   help="discard the saved state of an interrupted run of that name "
                        "instead of resuming it")
    p.add_argument("--workers", type=int,
                   help="train data-parallel on this many Ray workers (pip install "
                        "'kerasft[ray]'; see docs/scaling_out.md)")
    p.set_defaults(func=_train)

    p = sub.add_parser("evaluate", help="report on labelled data")
    p.add_argument("model", help="run directory or saved model directory")
    _data_flags(p)
    p.add_argument("--output", help="directory for metrics.json and the confusion matrix")
    p.set_defaults(func=_evaluate)

    p = sub.add_parser("predict", help="classify texts")
    p.add_argument("model")
    p.add_argument("texts", nargs="*")
    _data_flags(p, labels=False)
    p.add_argument("--json", action="store_true", help="one JSON record per line")
    p.set_defaults(func=_predict)

    p = sub.add_parser("export", help="SavedModel, TFLite, ONNX with a parity check")
    p.add_argument("model")
    p.add_argument("--format", action="append", choices=["saved_model", "tflite", "onnx"],
                   help="repeatable; default: all three")
    p.add_argument("--quantization", action="append",
                   help="none, float16, dynamic, int8, int8_strict, int16x8 (repeatable "
                        "or comma-separated; default none)")
    p.add_argument("--sequence-length", type=int, help="fixed TFLite length")
    p.add_argument("--allow-flex-ops", action="store_true",
                   help="accept TFLite Flex (SELECT_TF_OPS) ops")
    p.add_argument("--output", help="default: MODEL/export")
    p.add_argument("--overwrite", action="store_true")
    _data_flags(p)
    p.set_defaults(func=_export)

    p = sub.add_parser("explain", help="word attributions of predictions")
    from kerasft.explain.cli import add_explain_flags

    add_explain_flags(p)
    p.set_defaults(func=_explain)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "export":
        args.format = args.format or ["saved_model", "tflite", "onnx"]
        args.quantization = args.quantization or ["none"]
    try:
        args.func(args)
    except (KerasftError, ImportError) as e:
        print(f"kerasft {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
