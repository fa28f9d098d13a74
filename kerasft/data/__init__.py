"""Data input: readers, label vocabularies and splits."""

from kerasft.data.conll import TagLists, TokenData, read_conll, split_token_data, token_data
from kerasft.data.label_vocabulary import LabelVocabulary
from kerasft.data.multi_label import parse_label_lists, read_multi_label
from kerasft.data.fasttext import read_fasttext
from kerasft.data.pair_sampling import check_few_shot, label_pairs
from kerasft.data.readers import read_texts
from kerasft.data.regression import read_regression, read_stsb
from kerasft.data.splits import train_test_split
from kerasft.data.squad import SquadData, read_squad, split_squad
from kerasft.data.tag_schemes import entity_types, from_iob2, iob2_tags, to_iob2
from kerasft.data.text_data import TextData
from kerasft.data.po_files import PoEntry, django_po_file, read_po, read_po_pairs
from kerasft.data.text_blocks import read_documents, text_blocks

__all__ = [
    "PoEntry",
    "django_po_file",
    "read_documents",
    "read_po",
    "read_po_pairs",
    "text_blocks",
    "LabelVocabulary",
    "SquadData",
    "TagLists",
    "TextData",
    "TokenData",
    "check_few_shot",
    "label_pairs",
    "entity_types",
    "from_iob2",
    "iob2_tags",
    "parse_label_lists",
    "read_multi_label",
    "read_regression",
    "read_stsb",
    "read_conll",
    "read_fasttext",
    "read_squad",
    "read_texts",
    "split_squad",
    "split_token_data",
    "to_iob2",
    "token_data",
    "train_test_split",
]
