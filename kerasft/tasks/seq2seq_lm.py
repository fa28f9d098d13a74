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
import numpy as np
from keras import ops

from kerasft.errors import ConfigError, DataError
from kerasft.preprocessors.text_preprocessor import TextPreprocessor
from kerasft.tasks import generation
from kerasft.tasks.causal_lm import EOS_CANDIDATES
from kerasft.tasks.inputs import split_texts
from kerasft.tasks.task import Task, register_task

ENCODER_INPUTS = ("encoder_token_ids", "encoder_padding_mask")


class Seq2SeqPreprocessor(TextPreprocessor):
    """Tokenizes sources (encoder) and targets (decoder labels).

    Args:
        tokenizer: `kerasft.tokenizers.Tokenizer`; its post-processor adds
            the special tokens (`<s> ... </s>` for BART, `... </s>` for T5).
        sequence_length: int. Source tokens at most.
        target_sequence_length: int or None. Target tokens at most
            (defaults to `sequence_length`).
        source_prefix: str. Prepended to every source (T5 task prefixes
            such as `"translate English to German: "`).
    """

    def __init__(self, tokenizer, sequence_length=128, target_sequence_length=None,
                 input_names=None, max_sequence_length=None, source_prefix=""):
        super().__init__(tokenizer, sequence_length, input_names, max_sequence_length)
        self.target_sequence_length = target_sequence_length or sequence_length
        self.source_prefix = source_prefix

    @property
    def pad_values(self):
        pad = self.tokenizer.pad_token_id
        return {"encoder_token_ids": pad, "decoder_token_ids": pad}

    def encode(self, texts, pairs=None, progress=False):
        """Sources -> `encoder_token_ids` and `encoder_padding_mask` (unpadded)."""
        texts = [self.source_prefix + t for t in texts]
        ids = self.tokenizer.encode(texts, sequence_length=self.sequence_length,
                                    progress=progress)["token_ids"]
        return {"encoder_token_ids": ids,
                "encoder_padding_mask": [np.ones(len(t), "int32") for t in ids]}

    def encode_targets(self, targets):
        """Targets -> label ids, special tokens included."""
        return self.tokenizer.encode(list(targets),
                                     sequence_length=self.target_sequence_length)["token_ids"]

    def get_config(self):
        return {**super().get_config(), "target_sequence_length": self.target_sequence_length,
                "source_prefix": self.source_prefix}


def default_decoder_start_token_id(backbone, tokenizer):
    """T5 starts decoding with the pad token, BART with `</s>`."""
    if type(backbone).__name__ == "T5Backbone":
        return tokenizer.pad_token_id
    for token in EOS_CANDIDATES:
        if tokenizer.token_to_id(token) is not None:
            return int(tokenizer.token_to_id(token))
    return tokenizer.pad_token_id


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

    def __init__(self, backbone, preprocessor, decoder_start_token_id=None, eos_token_id=None,
                 rescale_decoder_output=None, **kwargs):
        tokenizer = preprocessor.tokenizer
        if decoder_start_token_id is None:
            decoder_start_token_id = default_decoder_start_token_id(backbone, tokenizer)
        if eos_token_id is None:
            eos_token_id = next((tokenizer.token_to_id(t) for t in EOS_CANDIDATES
                                 if tokenizer.token_to_id(t) is not None), None)
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
            rescale_decoder_output = type(backbone).__name__ == "T5Backbone" and bool(
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
        self._steps = generation.Compiled()

    @classmethod
    def from_pretrained(cls, source, *, sequence_length=128, target_sequence_length=None,
                        source_prefix="", backbone_config=None, strategy=None, **kwargs):
        """Builds the task on a pretrained encoder-decoder (see
        `Task.from_pretrained`, also for `strategy`); reads
        `decoder_start_token_id` from a Hugging Face checkpoint's config."""
        from kerasft.backbones.loader import resolve_source
        from kerasft.training.strategy import get_strategy

        config_path = os.path.join(resolve_source(source), "config.json")
        if os.path.isfile(config_path):
            with open(config_path, encoding="utf-8") as f:
                config = json.load(f)
            kwargs.setdefault("decoder_start_token_id", config.get("decoder_start_token_id"))
            if config.get("model_type") == "t5":
                # transformers 5 writes `scale_decoder_outputs`; older saves
                # signal v1.1 (no rescaling) with tie_word_embeddings=false.
                kwargs.setdefault("rescale_decoder_output", config.get(
                    "scale_decoder_outputs", config.get("tie_word_embeddings", True)))
        with get_strategy(strategy).scope():
            from kerasft.backbones.loader import from_pretrained

            backbone, tokenizer = from_pretrained(source, **(backbone_config or {}))
            return cls.from_backbone(backbone, tokenizer, sequence_length=sequence_length,
                                     target_sequence_length=target_sequence_length,
                                     source_prefix=source_prefix, **kwargs)

    @classmethod
    def from_backbone(cls, backbone, tokenizer, sequence_length=128, target_sequence_length=None,
                      source_prefix="", **kwargs):
        """Builds the task on an in-memory backbone and tokenizer."""
        from kerasft.backbones.loader import max_sequence_length

        preprocessor = Seq2SeqPreprocessor(
            tokenizer, sequence_length=sequence_length,
            target_sequence_length=target_sequence_length, input_names=list(backbone.input),
            max_sequence_length=max_sequence_length(backbone), source_prefix=source_prefix)
        return cls(backbone=backbone, preprocessor=preprocessor, **kwargs)

    def get_task_config(self):
        return {"decoder_start_token_id": self.decoder_start_token_id,
                "eos_token_id": self.eos_token_id,
                "rescale_decoder_output": self.rescale_decoder_output}

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)

    def default_metrics(self):
        from kerasft.evaluation.generation import Perplexity

        return [Perplexity()]

    # -- data ------------------------------------------------------------------
    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, name="x", **kwargs):
        """Sources and targets -> teacher-forcing batches.

        Raises:
            DataError: no targets, empty texts, or unequal numbers of
                sources and targets.
        """
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
        features = self.preprocessor.encode(sources)
        labels = self.preprocessor.encode_targets(targets)
        start = np.asarray([self.decoder_start_token_id], "int32")
        features["decoder_token_ids"] = [np.concatenate([start, t[:-1]]) for t in labels]
        features["decoder_padding_mask"] = [np.ones(len(t), "int32") for t in labels]
        features = {k: features[k] for k in self.preprocessor.input_names}
        return self.preprocessor.make_dataset(
            features, labels, sample_weight, batch_size=batch_size, shuffle=shuffle, seed=seed,
            bucket=padding == "bucket")

    # -- generation -----------------------------------------------------------
    def _compiled(self):
        steps = self._steps
        if hasattr(steps, "forward"):
            return steps

        def forward(encoder_ids, encoder_mask, decoder_ids):
            return self({"encoder_token_ids": encoder_ids, "encoder_padding_mask": encoder_mask,
                         "decoder_token_ids": decoder_ids,
                         "decoder_padding_mask": ops.ones_like(decoder_ids)},
                        training=False)[:, -1, :]

        def score(inputs, targets):
            from kerasft.evaluation.generation import token_nll

            return token_nll(targets, self(inputs, training=False))

        steps.forward = generation.compile_step(forward)
        steps.score = generation.compile_step(score)
        import keras_hub

        hub_cls = generation.keras_hub_task_class(self.backbone, keras_hub.models.Seq2SeqLM)
        steps.hub = None if hub_cls is None else hub_cls(backbone=self.backbone, preprocessor=None)
        if steps.hub is not None:
            hub = steps.hub

            def build_cache(encoder_ids, encoder_mask, decoder_ids):
                _, hidden, self_cache, cross_cache = hub._build_cache(
                    encoder_ids, encoder_mask, decoder_ids)
                return hidden, self_cache, cross_cache

            def cached_step(hidden, encoder_mask, token_ids, self_cache, cross_cache, index):
                _, states, self_cache, _ = hub.call_decoder_with_cache(
                    encoder_hidden_states=hidden, encoder_padding_mask=encoder_mask,
                    decoder_token_ids=token_ids, self_attention_cache=self_cache,
                    self_attention_cache_update_index=index, cross_attention_cache=cross_cache,
                    cross_attention_cache_update_index=None)
                # The task's own head (keras-hub's T5 keys rescaling off tying).
                if self.rescale_decoder_output:
                    states = states * ops.cast(self.backbone.hidden_dim ** -0.5, states.dtype)
                logits = self.backbone.token_embedding(states[:, 0, :], reverse=True)
                return ops.cast(logits, "float32"), self_cache

            steps.build_cache = generation.compile_step(build_cache)
            steps.cached_step = generation.compile_step(cached_step)
        return steps

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
        sampling = generation.resolve_sampling(strategy, temperature, top_k, top_p, num_beams,
                                               length_penalty)
        max_new_tokens = max_new_tokens or self.preprocessor.target_sequence_length
        limit = getattr(self.backbone, "max_sequence_length", None) or 1_000_000
        if not isinstance(max_new_tokens, int) or not 1 <= max_new_tokens < limit:
            raise ConfigError(
                f"`max_new_tokens` must be an integer in [1, {limit - 1}]. Received: "
                f"max_new_tokens={max_new_tokens!r}."
            )
        compiled = self._compiled()
        stepper_cls = (generation.CachedSeq2SeqStepper if use_cache and compiled.hub is not None
                       else generation.FullSeq2SeqStepper)
        stops = [] if self.eos_token_id is None else [self.eos_token_id]
        pad = self.preprocessor.tokenizer.pad_token_id
        results = []
        for start in range(0, len(sources), batch_size):
            ids = self.preprocessor.encode(sources[start:start + batch_size])["encoder_token_ids"]
            n, width = len(ids), max(len(t) for t in ids)
            encoder = (np.full((n, width), pad, "int32"), np.zeros((n, width), "int32"))
            for row, t in enumerate(ids):
                encoder[0][row, :len(t)], encoder[1][row, :len(t)] = t, 1
            buffer = np.full((n, 1 + max_new_tokens), pad, "int32")
            buffer[:, 0] = self.decoder_start_token_id
            stepper = stepper_cls(self, encoder)
            if sampling.strategy == "beam":
                new, _ = generation.beam_search(stepper, buffer, 1, max_new_tokens,
                                                sampling.num_beams, stops,
                                                sampling.length_penalty, pad)
            else:
                new = generation.decode(stepper, buffer, np.ones(n, "int64"), max_new_tokens,
                                        sampling, stops, pad,
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
        from kerasft.evaluation.generation import perplexity, translation_report

        sources, _ = split_texts(x, "x")
        references, _ = split_texts(list(y), "y")
        ds, _ = self.make_dataset(sources, references, batch_size=batch_size)
        nll_sum, count = 0.0, 0.0
        for inputs, targets in ds:
            batch_nll, batch_count = self._compiled().score(inputs, targets)
            nll_sum, count = nll_sum + float(batch_nll), count + float(batch_count)
        hypotheses = self.generate(sources, batch_size=batch_size, **generate_kwargs)
        report = translation_report(hypotheses, references, sources=sources)
        report.update(loss=nll_sum / count, perplexity=perplexity(nll_sum, count),
                      tokens=int(count))
        if output_dir is not None:
            os.makedirs(output_dir, exist_ok=True)
            with open(os.path.join(output_dir, "metrics.json"), "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2, ensure_ascii=False)
        return report

    # -- runs (CLI / YAML) ------------------------------------------------------
    @classmethod
    def model_config_defaults(cls):
        return {"target_sequence_length": None, "source_prefix": ""}

    @classmethod
    def task_kwargs_from_config(cls, model_config):
        return generation.task_kwargs_without_classifier_keys(model_config)

    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Pairs from a gettext `.po` file, or from a CSV/TSV/JSONL file with
        the source in `data.text_column` and the target in
        `data.label_column`."""
        from kerasft.data.text_data import TextData

        if str(path).endswith(".po"):
            from kerasft.data.po_files import read_po_pairs

            sources, targets = read_po_pairs(path, encoding=data_config.get("encoding") or "utf-8")
            return TextData(texts=sources, labels=targets, source=str(path))
        data = super().read_data(path, data_config, require_labels=require_labels)
        labels = None if data.labels is None else [str(t) for t in data.labels]
        return TextData(texts=data.texts, labels=labels, source=data.source)

    @classmethod
    def split_data(cls, data, fraction, seed):
        from kerasft.data.splits import train_test_split

        return train_test_split(data, test_size=fraction, seed=seed, stratify=False)

    @classmethod
    def inputs_targets(cls, data):
        return list(data.texts), list(data.labels)

    # -- export ---------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """`ExportSpec` of the fixed-length forward pass: `encoder_*` (the
        sources) and `decoder_*` (start token, then padding), all int32
        `[batch, sequence_length]` -> `logits` float32 `[batch,
        sequence_length, vocabulary]`; position 0 scores the first token."""
        from kerasft.export.spec import ExportSpec

        task = self

        class Seq2SeqExportSpec(ExportSpec):
            def encode(self, texts, length=None):
                length = length or self.sequence_length
                ids = task.preprocessor.encode(list(texts))["encoder_token_ids"]
                pad = self.tokenizer.pad_token_id
                features = {name: np.full((len(ids), length), pad if "token" in name else 0,
                                          "int32") for name in self.input_names}
                for row, t in enumerate(ids):
                    t = t[:length]
                    features["encoder_token_ids"][row, :len(t)] = t
                    features["encoder_padding_mask"][row, :len(t)] = 1
                features["decoder_token_ids"][:, 0] = task.decoder_start_token_id
                features["decoder_padding_mask"][:, 0] = 1
                return features

        return Seq2SeqExportSpec(list(self.input), ["logits"],
                                 tokenizer or self.preprocessor.tokenizer,
                                 sequence_length or self.preprocessor.sequence_length,
                                 task_name=self.task_name)

    def greedy_graph(self, encoder_token_ids, encoder_padding_mask, max_new_tokens):
        """Greedy decoding in `keras.ops` (traceable, for SavedModel export).

        Returns:
            int32 `[batch, 1 + max_new_tokens]`: the start token, the
            generated tokens (end token included), then padding.
        """
        pad = self.preprocessor.tokenizer.pad_token_id
        batch = ops.shape(encoder_token_ids)[0]
        buffer = ops.concatenate(
            [ops.full((batch, 1), self.decoder_start_token_id, dtype="int32"),
             ops.full((batch, max_new_tokens), pad, dtype="int32")], axis=1)
        positions = ops.arange(1 + max_new_tokens, dtype="int32")[None, :]

        def body(step, state):
            buffer, done = state
            logits = self({"encoder_token_ids": encoder_token_ids,
                           "encoder_padding_mask": encoder_padding_mask,
                           "decoder_token_ids": buffer,
                           "decoder_padding_mask": ops.ones_like(buffer)}, training=False)
            chosen = ops.cast(ops.argmax(ops.take(logits, step, axis=1), axis=-1), "int32")
            chosen = ops.where(done, pad, chosen)
            buffer = ops.where(positions == step + 1, chosen[:, None], buffer)
            if self.eos_token_id is not None:
                done = ops.logical_or(done, chosen == self.eos_token_id)
            return buffer, done

        done = ops.zeros((batch,), dtype="bool")
        buffer, _ = ops.fori_loop(0, max_new_tokens, body, (buffer, done))
        return buffer

    def export_generate(self, directory, max_new_tokens=None):
        """Writes a SavedModel whose `generate` signature decodes greedily:
        `encoder_token_ids`, `encoder_padding_mask` (int32 `[batch, length]`)
        -> `token_ids` (see `greedy_graph`). Tokenization stays outside.
        TensorFlow backend only."""
        max_new_tokens = max_new_tokens or self.preprocessor.target_sequence_length

        def serve(encoder_token_ids, encoder_padding_mask):
            return {"token_ids": self.greedy_graph(encoder_token_ids, encoder_padding_mask,
                                                   max_new_tokens)}

        return generation.write_generate_saved_model(self, directory, serve, list(ENCODER_INPUTS))

    def predict(self, x, batch_size=16, **kwargs):
        """Generated targets for raw source texts (greedy; see `generate`);
        Keras `predict` (logits) for model inputs."""
        if self._is_raw_input(x):
            return self.generate(x, batch_size=batch_size)
        return super().predict(x, batch_size=batch_size, **kwargs)

    def predict_records(self, x, batch_size=16):
        return [{"generated_text": t} for t in self.generate(list(x), batch_size=batch_size)]
