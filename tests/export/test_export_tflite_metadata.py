"""MediaPipe TextClassifier metadata written without MediaPipe's writer."""

import os

import pytest

from kerasft.export import tflite_metadata
from kerasft.export.tflite import vocabulary_lines


def _parse(buffer):
    schema = pytest.importorskip("mediapipe.tasks.metadata.metadata_schema_py_generated")
    assert schema.ModelMetadata.ModelMetadataBufferHasIdentifier(buffer, 0)
    return schema, schema.ModelMetadataT.InitFromObj(schema.ModelMetadata.GetRootAs(buffer, 0))


def test_metadata_buffer_reads_back_with_mediapipe_schema():
    buffer = tflite_metadata.bert_classifier_metadata(["segment_ids", "ids", "mask"], name="clf")
    schema, meta = _parse(buffer)
    assert meta.name == b"clf" and meta.minParserVersion == b"1.1.0"
    (subgraph,) = meta.subgraphMetadata
    assert [t.name for t in subgraph.inputTensorMetadata] == [b"segment_ids", b"ids", b"mask"]
    (unit,) = subgraph.inputProcessUnits
    assert unit.optionsType == schema.ProcessUnitOptions.BertTokenizerOptions
    vocab = unit.options.vocabFile[0]
    assert (vocab.name, vocab.type) == (b"vocab.txt", schema.AssociatedFileType.VOCABULARY)
    (output,) = subgraph.outputTensorMetadata
    labels = output.associatedFiles[0]
    assert (labels.name, labels.type) == (b"labels.txt",
                                          schema.AssociatedFileType.TENSOR_AXIS_LABELS)
    assert output.content.contentPropertiesType == schema.ContentProperties.FeatureProperties
    assert (output.stats.min, output.stats.max) == ([0.0], [1.0])


def test_exported_tflite_carries_metadata_and_files(tiny_export, tiny_classifier):
    directory, _ = tiny_export
    with open(os.path.join(directory, "model.tflite"), "rb") as f:
        model = f.read()
    metadata, files = tflite_metadata.read_metadata(model)
    _, meta = _parse(metadata)
    roles = [t.name.decode() for t in meta.subgraphMetadata[0].inputTensorMetadata]
    names = tflite_metadata.model_input_names(model)
    assert [n.split("serving_default_")[1].split(":")[0] for n in names] == [
        {"ids": "token_ids", "mask": "padding_mask", "segment_ids": "segment_ids"}[r]
        for r in roles]
    assert files["labels.txt"].decode().split() == ["neg", "pos"]
    vocab = files["vocab.txt"].decode().split("\n")[:-1]
    assert len(vocab) == len(tiny_classifier.preprocessor.tokenizer.vocabulary)


def test_vocabulary_lines_fill_holes(tiny_classifier):
    tokenizer = tiny_classifier.preprocessor.tokenizer
    lines = vocabulary_lines(tokenizer)
    assert len(lines) == len(tokenizer.vocabulary)
    assert all(line.strip() for line in lines)
    assert len(set(lines)) == len(lines)
    for i, token in enumerate(tokenizer.vocabulary):
        if token.strip():
            assert lines[i] == token
