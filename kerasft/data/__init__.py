"""Data input: readers, label vocabularies and splits."""

from kerasft.data.label_vocabulary import LabelVocabulary
from kerasft.data.readers import read_fasttext, read_texts
from kerasft.data.splits import train_test_split
from kerasft.data.text_data import TextData

__all__ = [
    "LabelVocabulary",
    "TextData",
    "read_fasttext",
    "read_texts",
    "train_test_split",
]
