from kerasft.data.multi_label import read_multi_label
from kerasft.data.regression import read_regression, read_stsb
from kerasft.tasks.task import Task, load, register_task
from kerasft.tasks.text_classifier import TextClassifier
from kerasft.tasks.multi_label_classifier import MultiLabelClassifier
from kerasft.tasks.token_classifier import TokenClassifier
from kerasft.tasks.question_answerer import QuestionAnswerer
from kerasft.tasks.text_regressor import TextRegressor
from kerasft.tasks.text_embedder import TextEmbedder
from kerasft.tasks.causal_lm import CausalLM
from kerasft.tasks.seq2seq_lm import Seq2SeqLM

__all__ = [
    "CausalLM",
    "MultiLabelClassifier",
    "QuestionAnswerer",
    "Seq2SeqLM",
    "Task",
    "TextClassifier",
    "TextEmbedder",
    "TextRegressor",
    "TokenClassifier",
    "load",
    "read_multi_label",
    "read_regression",
    "read_stsb",
    "register_task",
]
