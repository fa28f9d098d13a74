"""Export task models: SavedModel, TFLite (+ MediaPipe metadata), ONNX.

`export_model(model, directory, formats=..., quantization=...)` writes every
artifact with the tokenizer and labels beside it, then runs the parity gate
(Keras vs each runtime) and writes `export_report.json`.
"""

from kerasft.export.exporter import FORMATS, QUANTIZATIONS, export_model
from kerasft.export.from_directory import export_from_directory
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
    "export_from_directory",
    "export_model",
    "format_table",
    "spec_for_model",
]
