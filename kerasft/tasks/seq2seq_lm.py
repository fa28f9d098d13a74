"""`Seq2SeqLM`: fine-tune an encoder-decoder (BART, T5) on sentence pairs.

Training is teacher forcing: the encoder reads the source, the decoder
reads the target shifted right behind a start token and predicts it
(cross-entropy over target tokens). Decoding is greedy, sampling or beam
search, with keras-hub's encoder output and key/value caches where
keras-hub has a seq2seq LM for the backbone (BART, T5), with a full
forward pass per token otherwise. The report gives BLEU and chrF
(`sacrebleu`) and teacher-forced perplexity.

What the tests check, with tiny random BART models written by
transformers (no pretrained translator is available offline): logits
match transformers, the loss falls and a small set of real pairs (Django's
German UI strings) is learnt by heart and decoded back, greedy equals
one-beam search, cached and uncached decoding agree, save/load keeps the
outputs. BLEU on held-out pairs from such a model measures the mechanics,
not translation quality.
"""

import json
import os

import keras
import keras_hub
import numpy as np

from kerasft.backbones.loader import resolve_source
from kerasft.data.splits import train_test_split
from kerasft.data.text_pairs import read_text_pairs
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.classification import write_report
from kerasft.evaluation.generation import Perplexity, perplexity, translation_report
from kerasft.export.generation import Seq2SeqExportSpec, write_generate_saved_model
from kerasft.generation.beam_search import beam_search
from kerasft.generation.decoding import decode
from kerasft.generation.graph_decoding import greedy_seq2seq_graph
from kerasft.generation.model_steps import Seq2SeqSteps
from kerasft.generation.sampling import resolve_sampling
from kerasft.generation.tokens import default_eos_token_id
from kerasft.preprocessors.seq2seq_preprocessor import Seq2SeqPreprocessor
from kerasft.tasks.inputs import split_texts
from kerasft.tasks.run_hooks import task_kwargs_without_classifier_keys
from kerasft.tasks.task import Task, register_task

ENCODER_INPUTS = ("encoder_token_ids", "encoder_padding_mask")


def is_t5(backbone):
    """Whether `backbone` is a keras-hub T5 (decoding starts with the pad
    token; v1.0 rescales decoder outputs)."""
    return isinstance(backbone, keras_hub.models.T5Backbone)


def default_decoder_start_token_id(backbone, tokenizer):
    """T5 starts decoding with the pad token, BART with `</s>`."""
    if is_t5(backbone):
        return tokenizer.pad_token_id
    eos = default_eos_token_id(tokenizer)
    return tokenizer.pad_token_id if eos is None else eos


@register_task
class Seq2SeqLM(Task):
    """An encoder-decoder backbone with its language-model head.

    The model maps `encoder_token_ids`, `encoder_padding_mask`,
    `decoder_token_ids` and `decoder_padding_mask` to float32 logits
    `[batch, decoder_length, vocabulary]`.

    Args:
        backbone: keras-hub `BartBackbone`, `T5Backbone` or another
            backbone with those inputs and a `decoder_sequence_output`.
        preprocessor: `Seq2SeqPreprocessor`.
        decoder_start_token_id: int or None. First decoder input. Defaults
            to the checkpoint's `decoder_start_token_id`, else `</s>` (BART)
            or the pad token (T5).
        eos_token_id: int or None. Ends a generated target. Defaults to
            `</s>` (or another end-of-text token of the tokenizer).
        rescale_decoder_output: bool or None. Multiply decoder outputs by
            `hidden_dim ** -0.5` before the vocabulary projection (T5 v1.0;
            not T5 v1.1 / FLAN-T5). None: the checkpoint's
            `scale_decoder_outputs` / `tie_word_embeddings` when loaded with
            `from_pretrained`, else T5 with tied embeddings.

    Example:
    ```python
    model = kerasft.Seq2SeqLM.from_pretrained("path/to/bart", sequence_length=64)
    model.fit(english, german, validation_data=(val_en, val_de), epochs=3)
    model.generate(["Save changes"], num_beams=4)
    model.evaluate_report(test_en, test_de)        # BLEU, chrF, perplexity
    ```
    """

    task_name = "seq2seq_lm"
    preprocessor_cls = Seq2SeqPreprocessor
    preprocessor_options = ("target_sequence_length", "source_prefix")

    def __init__(self, backbone, preprocessor, decoder_start_token_id=None, eos_token_id=None,
                 rescale_decoder_output=None, **kwargs):
        tokenizer = preprocessor.tokenizer
        if decoder_start_token_id is None:
            decoder_start_token_id = default_decoder_start_token_id(backbone, tokenizer)
        if eos_token_id is None:
            eos_token_id = default_eos_token_id(tokenizer)
        missing = [n for n in ENCODER_INPUTS + ("decoder_token_ids",) if n not in backbone.input]
        if missing:
            raise ConfigError(
                "Seq2SeqLM needs an encoder-decoder backbone (BART, T5). Received: "
                f"{type(backbone).__name__} with inputs {list(backbone.input)}. Use "
                "CausalLM for decoders and classifiers for encoders."
            )
        # === Layers ===
        as_float32 = keras.layers.Activation("linear", dtype="float32", name="logits")
        # === Functional Model ===
        inputs = backbone.input
        if rescale_decoder_output is None:
            rescale_decoder_output = is_t5(backbone) and bool(
                getattr(backbone, "tie_embedding_weights", False))
        hidden = backbone(inputs)["decoder_sequence_output"]
        if rescale_decoder_output:
            hidden = keras.layers.Rescaling(backbone.hidden_dim ** -0.5,
                                            name="decoder_rescale")(hidden)
        outputs = as_float32(backbone.token_embedding(hidden, reverse=True))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.decoder_start_token_id = int(decoder_start_token_id)
        self.eos_token_id = None if eos_token_id is None else int(eos_token_id)
        self.rescale_decoder_output = bool(rescale_decoder_output)
        self._steps = Seq2SeqSteps(self)

    @classmethod
    def pretrained_task_kwargs(cls, source, backbone):
        """`decoder_start_token_id` and, for T5, `rescale_decoder_output`
        from a Hugging Face checkpoint's `config.json` (none without one)."""
        config_path = os.path.join(resolve_source(source), "config.json")
        if not os.path.isfile(config_path):
            return {}
        with open(config_path, encoding="utf-8") as f:
            config = json.load(f)
        kwargs = {"decoder_start_token_id": config.get("decoder_start_token_id")}
        if config.get("model_type") == "t5":
            # transformers 5 writes `scale_decoder_outputs`; older saves
            # signal v1.1 (no rescaling) with tie_word_embeddings=false.
            kwargs["rescale_decoder_output"] = config.get(
                "scale_decoder_outputs", config.get("tie_word_embeddings", True))
        return kwargs

    def get_task_config(self):
        return {"decoder_start_token_id": self.decoder_start_token_id,
                "eos_token_id": self.eos_token_id,
                "rescale_decoder_output": self.rescale_decoder_output}

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)

    def default_metrics(self):
        return [Perplexity()]

    # -- data ------------------------------------------------------------------
    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, class_weight=None, name="x"):
        """Sources and targets -> teacher-forcing batches.

        Raises:
            DataError: no targets, empty texts, or unequal numbers of
                sources and targets.
            ConfigError: `class_weight` was given (there are no classes).
        """
        if class_weight is not None:
            raise ConfigError(
                "A sequence-to-sequence model has no classes to weight. Received: "
                f"class_weight={class_weight!r}. Drop class_weight."
            )
        sources, _ = split_texts(x, name)
        if y is None:
            raise DataError(
                "Seq2SeqLM learns from (source, target) pairs. Received: y=None. Pass "
                "the target texts as y."
            )
        targets, _ = split_texts(list(y), "y")
        if len(targets) != len(sources):
            raise DataError(
                f"Each source needs one target. Received: {len(sources)} sources and "
                f"{len(targets)} targets."
            )
        features, labels = self.preprocessor.encode_pairs(sources, targets,
                                                          self.decoder_start_token_id)
        return self.preprocessor.make_dataset(
            features, labels, sample_weight, batch_size=batch_size, shuffle=shuffle, seed=seed,
            bucket=padding == "bucket")

    # -- generation -----------------------------------------------------------
    def generate(self, sources, max_new_tokens=None, strategy=None, num_beams=None,
                 length_penalty=1.0, temperature=None, top_k=None, top_p=None, seed=None,
                 batch_size=16, return_ids=False, use_cache=True):
        """Generates a target for each source.

        Args:
            sources: str or list of str.
            max_new_tokens: int or None. Target tokens at most (defaults to
                the preprocessor's `target_sequence_length`).
            strategy: `"greedy"`, `"beam"`, `"sample"` or None (beam when
                `num_beams` > 1, sample when a sampling parameter is set,
                else greedy).
            num_beams: int or None. Beams of beam search.
            length_penalty: float. Beam scores are divided by
                `length ** length_penalty`.
            temperature, top_k, top_p, seed: sampling, as in
                `CausalLM.generate`.
            batch_size: int. Sources decoded together.
            return_ids: bool. Token ids instead of text.
            use_cache: bool. Use keras-hub's caches when available.

        Returns:
            A str (or int32 array) per source; one for a str source.
        """
        single = isinstance(sources, str)
        sources, _ = split_texts([sources] if single else list(sources), "sources")
        sampling = resolve_sampling(strategy, temperature, top_k, top_p, num_beams,
                                               length_penalty)
        max_new_tokens = max_new_tokens or self.preprocessor.target_sequence_length
        limit = getattr(self.backbone, "max_sequence_length", None) or 1_000_000
        if not isinstance(max_new_tokens, int) or not 1 <= max_new_tokens < limit:
            raise ConfigError(
                f"`max_new_tokens` must be an integer in [1, {limit - 1}]. Received: "
                f"max_new_tokens={max_new_tokens!r}."
            )
        stops = [] if self.eos_token_id is None else [self.eos_token_id]
        pad = self.preprocessor.tokenizer.pad_token_id
        results = []
        for start in range(0, len(sources), batch_size):
            encoder = self.preprocessor.encoder_arrays(sources[start:start + batch_size])
            n = len(encoder[0])
            buffer = np.full((n, 1 + max_new_tokens), pad, "int32")
            buffer[:, 0] = self.decoder_start_token_id
            stepper = self._steps.stepper(encoder, use_cache=use_cache)
            if sampling.strategy == "beam":
                new, _ = beam_search(stepper, buffer, 1, max_new_tokens, sampling.num_beams,
                                     stops, sampling.length_penalty, pad)
            else:
                new = decode(stepper, buffer, np.ones(n, "int64"), max_new_tokens,
                             sampling.sampler, stops, pad,
                             seed=None if seed is None else [seed, start])
            results += new
        if not return_ids:
            results = [self.preprocessor.tokenizer.decode(ids) for ids in results]
        return results[0] if single else results

    # -- reports ---------------------------------------------------------------
    def evaluate_report(self, x, y, output_dir=None, batch_size=16, **generate_kwargs):
        """BLEU and chrF of generated targets (sacrebleu), and teacher-forced
        loss and perplexity on the references.

        Args:
            x: sources. y: reference targets.
            output_dir: str or None. Writes `metrics.json` there.
            **generate_kwargs: decoding options of `generate` (greedy by
                default).

        Returns:
            dict, see `kerasft.evaluation.generation.translation_report`,
            plus `loss`, `perplexity` and `tokens`.
        """
        sources, _ = split_texts(x, "x")
        references, _ = split_texts(list(y), "y")
        ds, _ = self.make_dataset(sources, references, batch_size=batch_size)
        nll_sum, count = 0.0, 0.0
        for inputs, targets in ds:
            batch_nll, batch_count = self._steps.build().score(inputs, targets)
            nll_sum, count = nll_sum + float(batch_nll), count + float(batch_count)
        hypotheses = self.generate(sources, batch_size=batch_size, **generate_kwargs)
        report = translation_report(hypotheses, references, sources=sources)
        report.update(loss=nll_sum / count, perplexity=perplexity(nll_sum, count),
                      tokens=int(count))
        if output_dir is not None:
            write_report(report, output_dir)
        return report

    # -- runs (CLI / YAML) ------------------------------------------------------
    @classmethod
    def model_config_defaults(cls):
        return {"target_sequence_length": None, "source_prefix": ""}

    @classmethod
    def task_kwargs_from_config(cls, model_config):
        return task_kwargs_without_classifier_keys(model_config)

    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Pairs from a gettext `.po` file, or from a CSV/TSV/JSONL file with
        the source in `data.text_column` and the target in
        `data.label_column` (see `kerasft.data.text_pairs.read_text_pairs`)."""
        return read_text_pairs(
            path, text_column=data_config.get("text_column"),
            target_column=data_config.get("label_column"),
            text_pair_column=data_config.get("text_pair_column"),
            encoding=data_config.get("encoding"), require_targets=require_labels)

    @classmethod
    def split_data(cls, data, fraction, seed):
        return train_test_split(data, test_size=fraction, seed=seed, stratify=False)

    @classmethod
    def inputs_targets(cls, data):
        return list(data.texts), list(data.labels)

    # -- export ---------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None, cache_length=None):
        """`ExportSpec` of the fixed-length forward pass: `encoder_*` (the
        sources) and `decoder_*` (start token, then padding), all int32
        `[batch, sequence_length]` -> `logits` float32 `[batch,
        sequence_length, vocabulary]`; position 0 scores the first token.
        With TFLite also `generate.tflite` (encoder once, one decoder call
        per token over a cache of `cache_length` slots)."""
        return Seq2SeqExportSpec(self.preprocessor, self.decoder_start_token_id,
                                 list(self.input), ["logits"],
                                 tokenizer or self.preprocessor.tokenizer,
                                 sequence_length or self.preprocessor.sequence_length,
                                 steps=self._steps.build(), cache_length=cache_length,
                                 eos_token_id=self.eos_token_id, task_name=self.task_name)

    def export(self, directory, formats=("saved_model", "tflite", "onnx"),
               quantization="none", cache_length=None, **kwargs):
        """Exports as `Task.export` does; with `"tflite"` also
        `generate.tflite` for on-device generation (`prefill` runs the
        encoder, `decode` one target token; run it with
        `export/run_litert_generate.py`).

        Args:
            cache_length: int or None. Decoder cache slots (start token +
                new tokens). Defaults to 1 + `target_sequence_length`.
            **kwargs: see `kerasft.export.export_model`.
        """
        if "format" in kwargs:
            return super().export(directory, **kwargs)
        spec = self.export_spec(kwargs.get("tokenizer"), kwargs.get("sequence_length"),
                                cache_length=cache_length)
        return super().export(directory, formats=formats, quantization=quantization,
                              spec=spec, **kwargs)

    def greedy_graph(self, encoder_token_ids, encoder_padding_mask, max_new_tokens):
        """Greedy decoding in `keras.ops` (traceable, for SavedModel export);
        see `kerasft.generation.graph_decoding.greedy_seq2seq_graph`."""
        return greedy_seq2seq_graph(self, encoder_token_ids, encoder_padding_mask,
                                    max_new_tokens, self.decoder_start_token_id,
                                    self.preprocessor.tokenizer.pad_token_id, self.eos_token_id)

    def export_generate(self, directory, max_new_tokens=None):
        """Writes a SavedModel whose `generate` signature decodes greedily:
        `encoder_token_ids`, `encoder_padding_mask` (int32 `[batch, length]`)
        -> `token_ids` (see `greedy_graph`). Tokenization stays outside.
        TensorFlow backend only."""
        max_new_tokens = max_new_tokens or self.preprocessor.target_sequence_length

        def serve(encoder_token_ids, encoder_padding_mask):
            return {"token_ids": self.greedy_graph(encoder_token_ids, encoder_padding_mask,
                                                   max_new_tokens)}

        return write_generate_saved_model(self, directory, serve, list(ENCODER_INPUTS))

    def predict(self, x, batch_size=16, **kwargs):
        """Generated targets for raw source texts (greedy; see `generate`);
        Keras `predict` (logits) for model inputs."""
        if self._is_raw_input(x):
            return self.generate(x, batch_size=batch_size)
        return super().predict(x, batch_size=batch_size, **kwargs)

    def predict_records(self, x, batch_size=16):
        return [{"generated_text": t} for t in self.generate(list(x), batch_size=batch_size)]
