"""`CausalLM`: fine-tune a decoder on raw text and generate with it.

Training follows Hugging Face's `run_clm`: texts or text files are
tokenized, joined (end-of-text between documents) and cut into blocks of
`sequence_length` tokens; the loss is next-token cross-entropy and the
report gives perplexity. Generation: greedy, sampling (temperature, top-k,
top-p) with a seed, `max_new_tokens` and stop tokens; with keras-hub's
key/value cache where keras-hub has a causal LM for the backbone (GPT-2,
Llama, Mistral, OPT, ...), with a full forward pass per token otherwise.
LoRA (`lora_rank=`) trains low-rank adapters only; `save` writes merged
weights, so a saved model loads and exports as a plain model.

What the tests check, with tiny random decoders (no pretrained generator
is available offline): the loss falls on a small corpus, the model learns
to reproduce a memorized sequence, sampling obeys its parameters, cached
and uncached decoding agree, save/load and LoRA merging preserve the
outputs, and a SavedModel greedy-generate signature answers like
`generate`. Not the quality of generated text.
"""

import os

import keras
import numpy as np

from kerasft.data.text_blocks import read_documents, split_documents, text_blocks
from kerasft.data.text_data import TextData
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.classification import write_report
from kerasft.evaluation.generation import Perplexity, perplexity
from kerasft.export.generation import CausalLMExportSpec, write_generate_saved_model
from kerasft.generation.decoding import decode
from kerasft.generation.graph_decoding import greedy_decoder_graph
from kerasft.generation.model_steps import DecoderSteps
from kerasft.generation.sampling import resolve_sampling
from kerasft.generation.tokens import (
    default_eos_token_id,
    prompt_token_ids,
    stop_token_ids,
)
from kerasft.layers.pooling import sequence_output
from kerasft.tasks.run_hooks import task_kwargs_without_classifier_keys
from kerasft.tasks.task import Task, register_task


@register_task
class CausalLM(Task):
    """A decoder backbone with its language-model head (the tied input
    embedding, keras-hub's `token_embedding(x, reverse=True)`).

    The model maps `token_ids` and `padding_mask` to float32 next-token
    logits `[batch, length, vocabulary]`.

    Args:
        backbone: keras-hub decoder `Backbone` (GPT-2, Llama, ...).
        preprocessor: `kerasft.preprocessors.TextPreprocessor`; its
            `sequence_length` is the training block size.
        eos_token_id: int or None. End of text: the separator between
            training documents and the default stop token. Defaults to the
            tokenizer's `<|endoftext|>`, `</s>`, `<eos>`... when present.
        lora_rank: int or None. Train only rank-`lora_rank` LoRA adapters
            on the attention query/value projections (keras-hub's
            `enable_lora`). Saved weights are merged.

    Example:
    ```python
    model = kerasft.CausalLM.from_pretrained("path/to/gpt2", sequence_length=128)
    model.fit(["corpus/part1.txt", "corpus/part2.txt"], epochs=1)
    model.evaluate_report(["corpus/test.txt"])          # {"perplexity": ...}
    model.generate(["Once upon a time"], max_new_tokens=40, top_p=0.9, seed=0)
    ```
    """

    task_name = "causal_lm"
    requires_targets = False

    def __init__(self, backbone, preprocessor, eos_token_id=None, lora_rank=None, **kwargs):
        if lora_rank is not None and not (isinstance(lora_rank, int) and lora_rank >= 1):
            raise ConfigError(
                f"`lora_rank` must be a positive integer or None. Received: lora_rank={lora_rank!r}."
            )
        if eos_token_id is None:
            eos_token_id = default_eos_token_id(preprocessor.tokenizer)
        # === Layers ===
        if lora_rank is not None:
            backbone.enable_lora(lora_rank)
        as_float32 = keras.layers.Activation("linear", dtype="float32", name="logits")
        # === Functional Model ===
        inputs = backbone.input
        hidden = sequence_output(backbone(inputs))
        outputs = as_float32(backbone.token_embedding(hidden, reverse=True))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.eos_token_id = eos_token_id
        self.lora_rank = lora_rank
        self._steps = DecoderSteps(self)

    def get_task_config(self):
        # LoRA is merged on save: the saved model is a plain one.
        return {"eos_token_id": self.eos_token_id}

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)

    def default_metrics(self):
        return [Perplexity()]

    # -- data ------------------------------------------------------------------
    def _is_raw_input(self, x):
        return isinstance(x, (str, os.PathLike)) or (
            isinstance(x, (list, tuple)) and len(x) > 0 and
            all(isinstance(t, (str, os.PathLike)) for t in x))

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, class_weight=None, name="x"):
        """Texts, text files or directories -> blocks of `(inputs, next tokens)`.

        See `kerasft.data.text_blocks.read_documents` for what `x` may be.

        Raises:
            DataError: targets were given, or the corpus is unreadable or
                too small.
            ConfigError: `class_weight` was given (there are no classes).
        """
        if class_weight is not None:
            raise ConfigError(
                "A causal language model has no classes to weight. Received: "
                f"class_weight={class_weight!r}. Drop class_weight."
            )
        if y is not None:
            raise DataError(
                "A causal language model learns from the texts alone. Received: "
                f"y of type {type(y).__name__}. Call fit(texts) without targets."
            )
        blocks = text_blocks(x, self.preprocessor.tokenizer, self.preprocessor.sequence_length,
                             separator_id=self.eos_token_id)
        inputs = [b[:-1] for b in blocks]
        features = {"token_ids": inputs,
                    "padding_mask": [np.ones(len(b), "int32") for b in inputs]}
        features = {k: features[k] for k in self.preprocessor.input_names}
        targets = [b[1:] for b in blocks]
        return self.preprocessor.make_dataset(
            features, targets, None, batch_size=batch_size, shuffle=shuffle, seed=seed,
            bucket=padding == "bucket")

    def fit(self, x=None, y=None, *, validation_data=None, **kwargs):
        """Trains on texts, text files or directories (no targets).

        Args:
            x: a list of texts, a list of text file paths, a path, or a
                directory (see `kerasft.data.text_blocks.read_documents`);
                or a `tf.data.Dataset` of `(inputs, targets)`.
            validation_data: the same kinds as `x`; turns on early stopping
                and best-weights checkpointing.
            **kwargs: see `Task.fit` (epochs, batch_size, seed, ...).
        """
        if isinstance(x, (str, os.PathLike)):
            x = [x]
        if self._is_raw_input(x):
            x = [os.fspath(t) for t in x]
        if validation_data is not None and self._is_raw_input(validation_data):
            if isinstance(validation_data, (str, os.PathLike)):
                validation_data = [validation_data]
            validation_data = ([os.fspath(t) for t in validation_data], None)
        return super().fit(x, y, validation_data=validation_data, **kwargs)

    # -- reports -----------------------------------------------------------------
    def evaluate_report(self, x, y=None, output_dir=None, batch_size=8):
        """Perplexity of the model on texts or text files.

        Tokens are scored exactly once each (blocks as in `fit`).

        Returns:
            dict: `perplexity`, `loss` (mean NLL per token, nats), `tokens`,
            `blocks`. Written to `metrics.json` in `output_dir` if given.
        """
        ds, num_blocks = self.make_dataset(x, y, batch_size=batch_size)
        nll_sum, count = 0.0, 0.0
        score = self._steps.build().score
        for inputs, targets in ds:
            batch_nll, batch_count = score(inputs, targets)
            nll_sum += float(batch_nll)
            count += float(batch_count)
        report = {"perplexity": perplexity(nll_sum, count), "loss": nll_sum / count,
                  "tokens": int(count), "batches": int(num_blocks)}
        if output_dir is not None:
            write_report(report, output_dir)
        return report

    # -- runs (CLI / YAML) ------------------------------------------------------
    @classmethod
    def model_config_defaults(cls):
        return {"lora_rank": None, "eos_token_id": None}

    @classmethod
    def task_kwargs_from_config(cls, model_config):
        return task_kwargs_without_classifier_keys(model_config)

    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """A text file or a directory of them: one document per file."""
        return TextData(texts=read_documents(path, encoding=data_config.get("encoding") or "utf-8"),
                        source=str(path))

    @classmethod
    def split_data(cls, data, fraction, seed):
        """Splits documents; a single document is split by its lines."""
        return split_documents(data, fraction, seed)

    @classmethod
    def inputs_targets(cls, data):
        return list(data.texts), None

    def predict(self, x, batch_size=8, **kwargs):
        """Continuations of raw prompts (greedy; see `generate`); Keras
        `predict` (logits) for model inputs."""
        if isinstance(x, str) or (isinstance(x, (list, tuple)) and x and
                                  all(isinstance(t, str) for t in x)):
            return self.generate(x, batch_size=batch_size)
        return super().predict(x, batch_size=batch_size, **kwargs)

    def predict_records(self, x, batch_size=8):
        return [{"generated_text": t} for t in self.generate(list(x), batch_size=batch_size)]

    # -- generation -----------------------------------------------------------
    def generate(self, prompts, max_new_tokens=32, strategy=None, temperature=None,
                 top_k=None, top_p=None, stop_tokens="auto", seed=None, batch_size=8,
                 include_prompt=False, return_ids=False, use_cache=True):
        """Continues each prompt.

        Args:
            prompts: str or list of str.
            max_new_tokens: int >= 1. New tokens per prompt at most.
            strategy: `"greedy"`, `"sample"` or None (sample when
                `temperature`, `top_k` or `top_p` is given, else greedy).
            temperature: float >= 0 or None. 0 is greedy.
            top_k: int or None. Sample among the k most likely tokens.
            top_p: float in (0, 1] or None. Nucleus sampling.
            stop_tokens: `"auto"` (the end-of-text token), None (none), or
                a list of token ids or token strings. A stop token ends
                its row and is not part of the output.
            seed: int or None. Same seed, prompts and batch size -> same
                output.
            batch_size: int. Prompts decoded together.
            include_prompt: bool. Return prompt + continuation.
            return_ids: bool. Return token id arrays instead of text.
            use_cache: bool. Use keras-hub's key/value cache when there is
                one for the backbone.

        Returns:
            A str (or int32 array) per prompt; a single one for a str prompt.

        Raises:
            ConfigError: bad decoding parameters, an unknown stop token, or
                `max_new_tokens` beyond the backbone's positions.
        """
        single = isinstance(prompts, str)
        prompts = [prompts] if single else list(prompts)
        if not all(isinstance(p, str) for p in prompts) or not prompts:
            raise DataError(
                f"Expected a prompt string or a non-empty list of them. Received: {prompts!r:.80}."
            )
        sampling = resolve_sampling(strategy, temperature, top_k, top_p)
        if sampling.strategy == "beam":
            raise ConfigError(
                "CausalLM decodes greedily or by sampling. Received: strategy='beam'. "
                "Use strategy='greedy' or 'sample'."
            )
        limit = getattr(self.backbone, "max_sequence_length", None) or 1_000_000
        if not isinstance(max_new_tokens, int) or not 1 <= max_new_tokens < limit:
            raise ConfigError(
                f"`max_new_tokens` must be an integer in [1, {limit - 1}] (the backbone has "
                f"{limit} positions). Received: max_new_tokens={max_new_tokens!r}."
            )
        tokenizer = self.preprocessor.tokenizer
        stops = stop_token_ids(tokenizer, stop_tokens, self.eos_token_id)
        prompt_ids = prompt_token_ids(tokenizer, prompts, limit - max_new_tokens,
                                      self.eos_token_id)
        pad = tokenizer.pad_token_id
        results = []
        for start in range(0, len(prompt_ids), batch_size):
            chunk = prompt_ids[start:start + batch_size]
            lengths = np.array([len(p) for p in chunk])
            buffer = np.full((len(chunk), lengths.max() + max_new_tokens), pad, "int32")
            for row, ids in enumerate(chunk):
                buffer[row, :len(ids)] = ids
            new = decode(
                self._steps.stepper(use_cache=use_cache), buffer, lengths, max_new_tokens,
                sampling.sampler, stops, pad, seed=None if seed is None else [seed, start])
            for ids, prompt in zip(new, chunk):
                results.append(np.concatenate([prompt, ids]) if include_prompt else ids)
        if not return_ids:
            results = [tokenizer.decode(ids) for ids in results]
        return results[0] if single else results

    # -- export ---------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None, cache_length=None):
        """`CausalLMExportSpec`: the fixed-length forward pass (`token_ids`
        and `padding_mask`, int32 `[batch, sequence_length]` -> `logits`,
        float32 `[batch, sequence_length, vocabulary]`) and, with TFLite,
        `generate.tflite` with `prefill` / `decode` signatures over a
        key/value cache of `cache_length` slots (default: the backbone's
        positions) where keras-hub has a cached task for the backbone."""
        return CausalLMExportSpec(list(self.input), tokenizer or self.preprocessor.tokenizer,
                                  sequence_length or self.preprocessor.sequence_length,
                                  hub=self._steps.build().hub, cache_length=cache_length,
                                  eos_token_id=self.eos_token_id, task_name=self.task_name)

    def export(self, directory, formats=("saved_model", "tflite", "onnx"),
               quantization="none", cache_length=None, **kwargs):
        """Exports as `Task.export` does; with `"tflite"` also
        `generate.tflite` for on-device generation (`prefill` and `decode`
        signatures, explicit key/value cache; run it with
        `export/run_litert_generate.py`). `model.tflite` stays the
        no-cache forward pass.

        Args:
            cache_length: int or None. Cache slots of `generate.tflite`:
                the longest prompt plus continuation it can hold. Defaults
                to the backbone's positions.
            sequence_length: int or None. The fixed length of the forward
                pass and of `prefill`'s prompt. Defaults to the
                preprocessor's.
            **kwargs: see `kerasft.export.export_model`.
        """
        if "format" in kwargs:
            return super().export(directory, **kwargs)
        spec = self.export_spec(kwargs.get("tokenizer"), kwargs.get("sequence_length"),
                                cache_length=cache_length)
        return super().export(directory, formats=formats, quantization=quantization,
                              spec=spec, **kwargs)

    def greedy_graph(self, token_ids, padding_mask, max_new_tokens, stop_token_id=None):
        """Greedy decoding in `keras.ops` (traceable, for SavedModel export);
        see `kerasft.generation.graph_decoding.greedy_decoder_graph`."""
        return greedy_decoder_graph(self, token_ids, padding_mask, max_new_tokens,
                                    self.preprocessor.tokenizer.pad_token_id, stop_token_id)

    def export_generate(self, directory, max_new_tokens=32, stop_token_id="auto"):
        """Writes a SavedModel whose `generate` signature decodes greedily.

        Signature `generate`: `token_ids`, `padding_mask` (int32
        `[batch, length]`, right padded) -> `token_ids` (int32
        `[batch, length + max_new_tokens]`). Tokenization stays outside.
        TensorFlow backend only.
        """
        if stop_token_id == "auto":
            stop_token_id = self.eos_token_id

        def serve(token_ids, padding_mask):
            return {"token_ids": self.greedy_graph(token_ids, padding_mask, max_new_tokens,
                                                   stop_token_id)}

        return write_generate_saved_model(self, directory, serve, ["token_ids", "padding_mask"])
