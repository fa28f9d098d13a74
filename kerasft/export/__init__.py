"""Export task models: SavedModel, TFLite (+ MediaPipe metadata), ONNX.

`export_model(model, directory, formats=..., quantization=...)` writes every
artifact with the tokenizer and labels beside it, then runs the parity gate
(Keras vs each runtime) and writes `export_report.json`.

The exporter works on a model through its declared hooks
(`model.export_spec()`, `model.preprocessor`) and never imports
`kerasft.tasks`; loading a saved model to export it is the caller's
(`kerasft.runs.export_from_directory`, `kerasft export`).
"""

from kerasft.export.exporter import FORMATS, QUANTIZATIONS, export_model
from kerasft.export.parity import DEFAULT_THRESHOLDS, check_parity, format_table
from kerasft.export.spec import ClassificationSpec, ExportSpec, MultiLabelSpec
from kerasft.export.spec import RegressionSpec, spec_for_model

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FORMATS",
    "QUANTIZATIONS",
    "ClassificationSpec",
    "ExportSpec",
    "MultiLabelSpec",
    "RegressionSpec",
    "check_parity",
    "export_model",
    "format_table",
    "spec_for_model",
]
