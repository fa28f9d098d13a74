from kerasft.tasks.task import Task, load, register_task
from kerasft.tasks.text_classifier import TextClassifier
from kerasft.tasks.multi_label_classifier import MultiLabelClassifier, read_multi_label
from kerasft.tasks.token_classifier import TokenClassifier
from kerasft.tasks.question_answerer import QuestionAnswerer
from kerasft.tasks.text_regressor import TextRegressor, read_regression, read_stsb

__all__ = [
    "MultiLabelClassifier",
    "QuestionAnswerer",
    "Task",
    "TextClassifier",
    "TextRegressor",
    "TokenClassifier",
    "load",
    "read_multi_label",
    "read_regression",
    "read_stsb",
    "register_task",
]
