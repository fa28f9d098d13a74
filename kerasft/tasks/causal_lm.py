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
from keras import ops

from kerasft.errors import ConfigError, DataError
from kerasft.tasks import generation
from kerasft.layers.pooling import sequence_output
from kerasft.tasks.task import Task, register_task

EOS_CANDIDATES = ("<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>", "[SEP]")


def default_eos_token_id(tokenizer):
    """The end-of-text id of a tokenizer (first known name found), or None."""
    for token in EOS_CANDIDATES:
        index = tokenizer.token_to_id(token)
        if index is not None:
            return int(index)
    return None


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
        self._steps = generation.Compiled()

    @classmethod
    def from_backbone(cls, backbone, tokenizer, sequence_length=128, **kwargs):
        """Builds the task on an in-memory backbone and tokenizer."""
        from kerasft.backbones.loader import max_sequence_length
        from kerasft.preprocessors.text_preprocessor import TextPreprocessor

        preprocessor = TextPreprocessor(
            tokenizer, sequence_length=sequence_length, input_names=list(backbone.input),
            max_sequence_length=max_sequence_length(backbone))
        return cls(backbone=backbone, preprocessor=preprocessor, **kwargs)

    def get_task_config(self):
        # LoRA is merged on save: the saved model is a plain one.
        return {"eos_token_id": self.eos_token_id}

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-100)

    def default_metrics(self):
        from kerasft.evaluation.generation import Perplexity

        return [Perplexity()]

    # -- data ------------------------------------------------------------------
    def _is_raw_input(self, x):
        return isinstance(x, (str, os.PathLike)) or (
            isinstance(x, (list, tuple)) and len(x) > 0 and
            all(isinstance(t, (str, os.PathLike)) for t in x))

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, name="x", **kwargs):
        """Texts, text files or directories -> blocks of `(inputs, next tokens)`.

        See `kerasft.data.text_blocks.read_documents` for what `x` may be.

        Raises:
            DataError: targets were given, or the corpus is unreadable or
                too small.
        """
        from kerasft.data.text_blocks import text_blocks

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
        from kerasft.evaluation.generation import perplexity

        ds, num_blocks = self.make_dataset(x, y, batch_size=batch_size)
        nll_sum, count = 0.0, 0.0
        score = self._compiled().score
        for inputs, targets in ds:
            batch_nll, batch_count = score(inputs, targets)
            nll_sum += float(batch_nll)
            count += float(batch_count)
        report = {"perplexity": perplexity(nll_sum, count), "loss": nll_sum / count,
                  "tokens": int(count), "batches": int(num_blocks)}
        if output_dir is not None:
            import json

            os.makedirs(output_dir, exist_ok=True)
            with open(os.path.join(output_dir, "metrics.json"), "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
        return report

    # -- runs (CLI / YAML) ------------------------------------------------------
    @classmethod
    def model_config_defaults(cls):
        return {"lora_rank": None, "eos_token_id": None}

    @classmethod
    def task_kwargs_from_config(cls, model_config):
        return generation.task_kwargs_without_classifier_keys(model_config)

    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """A text file or a directory of them: one document per file."""
        from kerasft.data.text_blocks import read_documents
        from kerasft.data.text_data import TextData

        return TextData(texts=read_documents(path, encoding=data_config.get("encoding") or "utf-8"),
                        source=str(path))

    @classmethod
    def split_data(cls, data, fraction, seed):
        """Splits documents; a single document is split by its lines."""
        from kerasft.data.splits import train_test_split
        from kerasft.data.text_data import TextData

        texts = data.texts if len(data.texts) > 1 else [
            line for line in data.texts[0].splitlines(keepends=True) if line.strip()]
        if len(texts) < 2:
            raise DataError(
                f"{data.source} cannot be split for validation/test: it holds "
                f"{len(texts)} non-empty line(s). Pass data.validation / data.test files."
            )
        train, held_out = train_test_split(TextData(texts=texts, source=data.source),
                                           test_size=fraction, seed=seed, stratify=False)
        return train, held_out

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
    def _compiled(self):
        steps = self._steps
        if not hasattr(steps, "forward"):
            mask_name = "padding_mask" in self.input

            def forward(token_ids):
                inputs = {"token_ids": token_ids}
                if mask_name:
                    inputs["padding_mask"] = ops.ones_like(token_ids)
                return self(inputs, training=False)[:, -1, :]

            def score(inputs, targets):
                from kerasft.evaluation.generation import token_nll

                return token_nll(targets, self(inputs, training=False))

            steps.forward = generation.compile_step(forward)
            steps.score = generation.compile_step(score)
            import keras_hub

            hub_cls = generation.keras_hub_task_class(self.backbone, keras_hub.models.CausalLM)
            steps.hub = None if hub_cls is None else hub_cls(backbone=self.backbone,
                                                               preprocessor=None)
            if steps.hub is not None:
                hub = steps.hub
                steps.build_cache = generation.compile_step(lambda t: hub._build_cache(t)[1])

                def cached_step(token_ids, cache, index):
                    logits, _, cache = hub.call_with_cache(token_ids, cache, index)
                    return ops.cast(logits[:, 0, :], "float32"), cache

                steps.cached_step = generation.compile_step(cached_step)
        return steps

    def _stop_ids(self, stop_tokens):
        if isinstance(stop_tokens, str) and stop_tokens == "auto":
            return [] if self.eos_token_id is None else [self.eos_token_id]
        ids = []
        for token in stop_tokens or []:
            if isinstance(token, (int, np.integer)):
                ids.append(int(token))
                continue
            index = self.preprocessor.tokenizer.token_to_id(token)
            if index is None:
                raise ConfigError(
                    f"Unknown stop token. Received: {token!r}, which is not in the "
                    "vocabulary. Pass token ids or tokens of the vocabulary."
                )
            ids.append(int(index))
        return ids

    def _prompt_ids(self, prompts, room):
        tokenizer = self.preprocessor.tokenizer
        encoded = tokenizer.encode(prompts)["token_ids"]
        out = []
        for ids in encoded:
            if len(ids) and self.eos_token_id is not None and ids[-1] == self.eos_token_id:
                ids = ids[:-1]  # a post-processor's end token would end the text
            if not len(ids):
                start = self.eos_token_id if self.eos_token_id is not None else tokenizer.pad_token_id
                ids = np.asarray([start], "int32")
            out.append(np.asarray(ids[-room:], "int32"))  # keep the latest context
        return out

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
        sampling = generation.resolve_sampling(strategy, temperature, top_k, top_p)
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
        stops = self._stop_ids(stop_tokens)
        prompt_ids = self._prompt_ids(prompts, limit - max_new_tokens)
        compiled = self._compiled()
        stepper_cls = (generation.CachedDecoderStepper if use_cache and compiled.hub is not None
                       else generation.FullDecoderStepper)
        pad = self.preprocessor.tokenizer.pad_token_id
        results = []
        for start in range(0, len(prompt_ids), batch_size):
            chunk = prompt_ids[start:start + batch_size]
            lengths = np.array([len(p) for p in chunk])
            buffer = np.full((len(chunk), lengths.max() + max_new_tokens), pad, "int32")
            for row, ids in enumerate(chunk):
                buffer[row, :len(ids)] = ids
            new = generation.decode(
                stepper_cls(self), buffer, lengths, max_new_tokens, sampling, stops, pad,
                seed=None if seed is None else [seed, start])
            for ids, prompt in zip(new, chunk):
                results.append(np.concatenate([prompt, ids]) if include_prompt else ids)
        if not return_ids:
            decode = self.preprocessor.tokenizer.decode
            results = [decode(ids) for ids in results]
        return results[0] if single else results

    # -- export ---------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """`ExportSpec` of the fixed-length forward pass: `token_ids` and
        `padding_mask` (int32 `[batch, sequence_length]`) -> `logits`
        (float32 `[batch, sequence_length, vocabulary]`)."""
        from kerasft.export.spec import ExportSpec

        return ExportSpec(list(self.input), ["logits"],
                          tokenizer or self.preprocessor.tokenizer,
                          sequence_length or self.preprocessor.sequence_length,
                          task_name=self.task_name)

    def greedy_graph(self, token_ids, padding_mask, max_new_tokens, stop_token_id=None):
        """Greedy decoding in `keras.ops` (traceable, for SavedModel export).

        Args:
            token_ids: int32 `[batch, length]`, right-padded prompts.
            padding_mask: int `[batch, length]`, 1 on prompt tokens.
            max_new_tokens: int (static).
            stop_token_id: int or None. Once a row emits it, the row pads.

        Returns:
            int32 `[batch, length + max_new_tokens]`: prompts with their
            continuations (stop token included), padding after.
        """
        pad = self.preprocessor.tokenizer.pad_token_id
        token_ids = ops.cast(token_ids, "int32")
        lengths = ops.sum(ops.cast(padding_mask, "int32"), axis=1)
        batch = ops.shape(token_ids)[0]
        buffer = ops.concatenate(
            [ops.where(ops.cast(padding_mask, "bool"), token_ids, pad),
             ops.full((batch, max_new_tokens), pad, dtype="int32")], axis=1)
        total = ops.shape(buffer)[1]
        positions = ops.arange(total, dtype="int32")[None, :]

        def body(step, state):
            buffer, done = state
            inputs = {"token_ids": buffer}
            if "padding_mask" in self.input:
                inputs["padding_mask"] = ops.ones_like(buffer)
            logits = self(inputs, training=False)
            where = lengths + step
            last = ops.take_along_axis(logits, (where - 1)[:, None, None], axis=1)[:, 0, :]
            chosen = ops.cast(ops.argmax(last, axis=-1), "int32")
            chosen = ops.where(done, pad, chosen)
            buffer = ops.where(positions == where[:, None], chosen[:, None], buffer)
            if stop_token_id is not None:
                done = ops.logical_or(done, chosen == stop_token_id)
            return buffer, done

        done = ops.zeros((batch,), dtype="bool")
        buffer, _ = ops.fori_loop(0, max_new_tokens, body, (buffer, done))
        return buffer

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

        return generation.write_generate_saved_model(self, directory, serve,
                                                     ["token_ids", "padding_mask"])
