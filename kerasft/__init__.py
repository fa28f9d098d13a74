"""kerasft: fine-tune pretrained Transformers with Keras 3 and ship them."""

import os as _os

# Whether the user asked for TensorFlow's C++ log (the CLI then shows it all).
TF_LOG_LEVEL_SET_BY_USER = "TF_CPP_MIN_LOG_LEVEL" in _os.environ
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import importlib as _importlib  # noqa: E402

from kerasft import errors  # noqa: E402
from kerasft.version import __version__  # noqa: E402

# The rest imports TensorFlow: loaded on first use (PEP 562), so that the
# command line reports a bad config before TensorFlow's import (seconds).
_LAZY = {
    "metrics": "kerasft.metrics",
    "from_pretrained": "kerasft.backbones",
    "tiny_backbone": "kerasft.backbones",
    "Task": "kerasft.tasks",
    "TextClassifier": "kerasft.tasks",
    "TextEmbedder": "kerasft.tasks",
    "MultiLabelClassifier": "kerasft.tasks",
    "TextRegressor": "kerasft.tasks",
    "TokenClassifier": "kerasft.tasks",
    "QuestionAnswerer": "kerasft.tasks",
    "CausalLM": "kerasft.tasks",
    "Seq2SeqLM": "kerasft.tasks",
    "load": "kerasft.tasks",
    "Tokenizer": "kerasft.tokenizers",
}


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'kerasft' has no attribute {name!r}")
    module = _importlib.import_module(_LAZY[name])
    value = module if name == "metrics" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "Task",
    "TextClassifier",
    "TextEmbedder",
    "MultiLabelClassifier",
    "TextRegressor",
    "TokenClassifier",
    "QuestionAnswerer",
    "CausalLM",
    "Seq2SeqLM",
    "Tokenizer",
    "errors",
    "metrics",
    "from_pretrained",
    "load",
    "tiny_backbone",
]
