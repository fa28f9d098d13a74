"""Plumbing the sample scripts share: where the research data sets live, the
flags most samples take, and the save-then-reload step. Each sample keeps
its task code inline; only this boilerplate lives here."""

import os

import kerasft as kft

LAYERS_HELP = {"--layers": "keep the first N layers",
               "--num-layers": "keep only the first N backbone layers (faster)"}


def default_data_dir(name):
    """The data set folder `name`: under `KERASFT_TEST_DATA` when that is set,
    else under ../shared/data beside the checkout. kerasft never ships these
    research data sets; pass `--data DIR` to read them from elsewhere."""
    root = os.environ.get("KERASFT_TEST_DATA") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
    return os.path.join(root, name)


def common_arguments(parser, *, epochs, output, data=None, data_help=None,
                     backbone=None, layers_flag=None, layers=None, sequence_length=None):
    """Adds the flags the samples share, with this sample's defaults:
    `--data` (when `data` names a data set folder, see `default_data_dir`),
    `--backbone` (when given a default preset), `--layers` or `--num-layers`
    (`layers_flag`, default `layers`: keep the first N backbone layers),
    `--epochs`, `--sequence-length` (when given a default) and `--output`."""
    if data:
        parser.add_argument("--data", default=default_data_dir(data), help=data_help)
    if backbone:
        parser.add_argument("--backbone", default=backbone)
    if layers_flag:
        parser.add_argument(layers_flag, type=int, default=layers,
                            help=LAYERS_HELP[layers_flag])
    parser.add_argument("--epochs", type=int, default=epochs)
    if sequence_length:
        parser.add_argument("--sequence-length", type=int, default=sequence_length)
    parser.add_argument("--output", default=output)


def save_and_reload(model, output):
    """Saves `model` (weights, tokenizer, labels, config) to OUTPUT/model and
    loads it back with `kft.load`, as a deployment would."""
    path = os.path.join(output, "model")
    model.save(path, overwrite=True)
    return kft.load(path)
