"""kerasft: fine-tune pretrained Transformers with Keras 3 and ship them."""

import os as _os

_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from kerasft import errors  # noqa: E402
from kerasft import metrics  # noqa: E402
from kerasft.backbones import from_pretrained  # noqa: E402
from kerasft.backbones import tiny_backbone  # noqa: E402
from kerasft.tasks import Task  # noqa: E402
from kerasft.tasks import TextClassifier  # noqa: E402
from kerasft.tasks import MultiLabelClassifier  # noqa: E402
from kerasft.tasks import TextRegressor  # noqa: E402
from kerasft.tasks import TokenClassifier  # noqa: E402
from kerasft.tasks import QuestionAnswerer  # noqa: E402
from kerasft.tasks import CausalLM  # noqa: E402
from kerasft.tasks import Seq2SeqLM  # noqa: E402
from kerasft.tasks import load  # noqa: E402
from kerasft.tokenizers import Tokenizer  # noqa: E402
from kerasft.version import __version__  # noqa: E402

__all__ = [
    "__version__",
    "Task",
    "TextClassifier",
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
