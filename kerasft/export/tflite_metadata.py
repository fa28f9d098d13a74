"""TFLite model metadata for MediaPipe Tasks' TextClassifier and TextEmbedder,
written directly.

MediaPipe's own writer (`mediapipe.tasks.python.metadata.metadata_writers`)
imports `mediapipe.tasks.cc.metadata.python._pywrap_metadata_version`, a
compiled module the PyPI wheel does not ship, so it cannot be imported. The
metadata is a small FlatBuffer whose schema ships with mediapipe
(`mediapipe/tasks/metadata/metadata_schema.fbs`, file identifier `M001`); this
module builds exactly the tables the TextClassifier reads with the plain
`flatbuffers` runtime. Field slots below are the field order of that schema
(a union takes two slots: its type byte, then its value):

    AssociatedFile    name 0, description 1, type 2
    Content           content_properties_type 0, content_properties 1
    Stats             max 0, min 1
    TensorMetadata    name 0, description 1, content 3, process_units 4,
                      stats 5, associated_files 6
    BertTokenizerOptions  vocab_file 0
    ProcessUnit       options_type 0, options 1
    SubGraphMetadata  name 0, description 1, input_tensor_metadata 2,
                      output_tensor_metadata 3, input_process_units 5
    ModelMetadata     name 0, description 1, version 2, subgraph_metadata 3,
                      author 4, license 5, min_parser_version 7

The metadata buffer is stored in the model under the metadata entry
`TFLITE_METADATA`, and the associated files (vocabulary, labels) are appended
to the model file as a zip archive, as MediaPipe's populator does. The result
is what MediaPipe's `TextClassifier` (Python, Android, iOS, web) reads.
"""

import io
import zipfile

import flatbuffers

METADATA_NAME = "TFLITE_METADATA"
METADATA_IDENTIFIER = b"M001"
TFLITE_IDENTIFIER = b"TFL3"
# BertTokenizerOptions and input_process_units were added in schema 1.1.0.
MIN_PARSER_VERSION = "1.1.0"

# Enum values from metadata_schema.fbs.
_FILE_TENSOR_AXIS_LABELS = 2
_FILE_VOCABULARY = 5
_CONTENT_FEATURE_PROPERTIES = 1
_PROCESS_UNIT_BERT_TOKENIZER = 4

VOCAB_FILE = "vocab.txt"
LABELS_FILE = "labels.txt"


def _strings(builder, values):
    return [builder.CreateString(v) for v in values]


def _vector(builder, offsets):
    builder.StartVector(4, len(offsets), 4)
    for offset in reversed(offsets):
        builder.PrependUOffsetTRelative(offset)
    return builder.EndVector()


def _float_vector(builder, values):
    builder.StartVector(4, len(values), 4)
    for value in reversed(values):
        builder.PrependFloat32(value)
    return builder.EndVector()


def _table(builder, fields):
    """Writes a table. `fields` is a list of (slot, kind, value)."""
    builder.StartObject(max([slot for slot, _, _ in fields], default=-1) + 1)
    for slot, kind, value in fields:
        if kind == "offset":
            builder.PrependUOffsetTRelativeSlot(slot, value, 0)
        elif kind == "byte":
            builder.PrependUint8Slot(slot, value, 0)
    return builder.EndObject()


def _associated_file(builder, name, description, file_type):
    name, description = _strings(builder, [name, description])
    return _table(builder, [
        (0, "offset", name), (1, "offset", description), (2, "byte", file_type)])


def _tensor(builder, name, description, *, stats=None, files=()):
    name, description = _strings(builder, [name, description])
    feature = _table(builder, [])
    content = _table(builder, [
        (0, "byte", _CONTENT_FEATURE_PROPERTIES), (1, "offset", feature)])
    fields = [(0, "offset", name), (1, "offset", description), (3, "offset", content)]
    if stats is not None:
        high, low = _float_vector(builder, [stats[1]]), _float_vector(builder, [stats[0]])
        fields.append((5, "offset", _table(builder, [(0, "offset", high), (1, "offset", low)])))
    if files:
        fields.append((6, "offset", _vector(builder, list(files))))
    return _table(builder, fields)


def bert_classifier_metadata(input_order, *, name="TextClassifier",
                             description="Classifies text into a set of known labels.",
                             version="1", author="kerasft"):
    """Builds the metadata FlatBuffer of a BERT text classifier.

    Args:
        input_order: list of `"ids"`, `"mask"`, `"segment_ids"` in the order
            of the model's input tensors.
        name, description, version, author: str. General model information.

    Returns:
        bytes. A `ModelMetadata` buffer with file identifier `M001`.
    """
    return bert_text_metadata(input_order, labels=True, name=name, description=description,
                              version=version, author=author)


def bert_embedder_metadata(input_order, *, name="TextEmbedder",
                           description="Embeds text into a vector.", version="1",
                           author="kerasft"):
    """Builds the metadata FlatBuffer of a BERT text embedder (MediaPipe
    Tasks' TextEmbedder): the classifier's inputs and tokenizer, one
    `embedding` output without labels or score range."""
    return bert_text_metadata(input_order, labels=False, name=name, description=description,
                              version=version, author=author)


def bert_text_metadata(input_order, *, labels, name, description, version="1",
                       author="kerasft"):
    """The BERT metadata of MediaPipe's text tasks: ids/mask/segment_ids
    inputs with a WordPiece tokenizer process unit (vocabulary
    `vocab.txt`), and one output: label scores in [0, 1] with `labels.txt`
    when `labels`, else an embedding."""
    descriptions = {
        "ids": "Tokenized ids of the input text.",
        "mask": "Mask with 1 for real tokens and 0 for padding tokens.",
        "segment_ids": "0 for the first sequence, 1 for the second sequence if exists.",
    }
    b = flatbuffers.Builder(1024)
    inputs = [_tensor(b, key, descriptions[key]) for key in input_order]
    if labels:
        labels = _associated_file(b, LABELS_FILE, "Labels for categories that the model can "
                                  "recognize.", _FILE_TENSOR_AXIS_LABELS)
        output = _tensor(b, "score", "Score of the labels respectively.",
                         stats=(0.0, 1.0), files=[labels])
    else:
        output = _tensor(b, "embedding", "Embedding vector of the input text.")
    vocab = _associated_file(b, VOCAB_FILE, "Vocabulary file to convert natural language "
                             "words to embedding vectors.", _FILE_VOCABULARY)
    bert = _table(b, [(0, "offset", _vector(b, [vocab]))])
    unit = _table(b, [(0, "byte", _PROCESS_UNIT_BERT_TOKENIZER), (1, "offset", bert)])
    sub_fields = [
        (2, "offset", _vector(b, inputs)),
        (3, "offset", _vector(b, [output])),
        (5, "offset", _vector(b, [unit])),
    ]
    subgraph = _table(b, sub_fields)
    name, description, version, author, parser = _strings(
        b, [name, description, version, author, MIN_PARSER_VERSION])
    root = _table(b, [
        (0, "offset", name), (1, "offset", description), (2, "offset", version),
        (3, "offset", _vector(b, [subgraph])), (4, "offset", author),
        (7, "offset", parser)])
    b.Finish(root, METADATA_IDENTIFIER)
    return bytes(b.Output())


def model_input_names(model_bytes):
    """Names of the input tensors of a TFLite model, in subgraph order."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.Model.GetRootAs(model_bytes, 0)
    graph = model.Subgraphs(0)
    return [graph.Tensors(graph.Inputs(i)).Name().decode() for i in range(graph.InputsLength())]


def populate_metadata(model_bytes, metadata, files):
    """Returns `model_bytes` with `metadata` inside and `files` appended as zip.

    Args:
        model_bytes: bytes. A TFLite model without associated files.
        metadata: bytes. A metadata buffer (`bert_classifier_metadata`).
        files: dict of file name -> bytes, the associated files the metadata
            names.
    """
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(model_bytes, 0))
    buffer = schema.BufferT()
    buffer.data = _as_numpy(metadata)
    model.metadata = [m for m in (model.metadata or [])
                      if _decode(m.name) != METADATA_NAME]
    model.buffers = list(model.buffers or [])
    model.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = METADATA_NAME
    entry.buffer = len(model.buffers) - 1
    model.metadata.append(entry)
    builder = flatbuffers.Builder(len(model_bytes) + len(metadata) + 1024)
    builder.Finish(model.Pack(builder), TFLITE_IDENTIFIER)
    out = io.BytesIO()
    out.write(builder.Output())
    with zipfile.ZipFile(out, "a") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _decode(value):
    return value.decode() if isinstance(value, bytes) else value


def _as_numpy(data):
    import numpy as np

    return np.frombuffer(data, dtype=np.uint8)


def read_metadata(model_bytes):
    """Returns `(metadata_bytes, {file name: bytes})` stored in a model."""
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.Model.GetRootAs(model_bytes, 0)
    metadata = None
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if entry.Name().decode() == METADATA_NAME:
            metadata = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
    files = {}
    if zipfile.is_zipfile(io.BytesIO(model_bytes)):
        with zipfile.ZipFile(io.BytesIO(model_bytes)) as archive:
            files = {name: archive.read(name) for name in archive.namelist()}
    return metadata, files
