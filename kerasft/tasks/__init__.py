from kerasft.tasks.task import Task, load, register_task
from kerasft.tasks.text_classifier import TextClassifier

__all__ = ["Task", "TextClassifier", "load", "register_task"]
