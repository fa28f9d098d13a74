"""`export_from_directory`: the function behind `kerasft export DIR`."""

import os

from kerasft.errors import ExportError
from kerasft.export.exporter import FORMATS, export_model


def resolve_model_directory(path):
    """A saved model directory, or a run directory holding one in `model/`."""
    path = os.fspath(path)
    for candidate in (path, os.path.join(path, "model")):
        if os.path.isfile(os.path.join(candidate, "config.json")):
            return candidate
    raise ExportError(
        "Expected a saved kerasft model directory (config.json + weights) or a "
        f"run directory with one in `model/`. Received: model_dir={path!r}. Save "
        "the model with `model.save(dir)` or pass the run's directory."
    )


def export_from_directory(model_dir, out_dir, formats=FORMATS, quantization="none", **kwargs):
    """Loads a saved model (or a run's `model/`) and exports it.

    Args:
        model_dir: str. A directory written by `model.save` or a run
            directory containing `model/`.
        out_dir: str. The export directory.
        formats, quantization, **kwargs: see `export_model`.

    Returns:
        dict: the export report.
    """
    from kerasft.tasks.task import load

    model = load(resolve_model_directory(model_dir))
    return export_model(model, out_dir, formats=formats, quantization=quantization, **kwargs)
