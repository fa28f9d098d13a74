"""`Task`: backbone + head + attached preprocessor, trained on raw inputs.

A task is a functional `keras.Model` (the keras-hub `Task` pattern), so
`compile`, `fit`, `evaluate`, `predict`, callbacks and distribution work as
in Keras. What kerasft adds: `fit`/`evaluate`/`predict` accept raw texts,
`compile()` without arguments gives a sound fine-tuning recipe, validation
data switches on early stopping and best-model checkpointing, and
`save`/`kerasft.load` carry tokenizer, labels and config with the weights.
"""

import json

import keras

from kerasft.backbones.loader import from_pretrained as load_pretrained
from kerasft.backbones.loader import max_sequence_length
from kerasft.errors import ConfigError, KerasftError
from kerasft.layers.attention import fast_attentions
from kerasft.layers.dropout import fast_dropouts
from kerasft.layers.gelu import fast_gelus
from kerasft.layers.projections import flatten_projections
from kerasft.preprocessors.text_preprocessor import TextPreprocessor
from kerasft.tasks.inputs import in_input_order, is_raw_text, sorted_by_length, split_texts
from kerasft.tasks.parity_texts import ParityTexts
from kerasft.tasks.run_hooks import RunHooks
from kerasft.tasks.saving import TaskSaving, load, register_task, task_class
from kerasft.training.callbacks import validation_callbacks
from kerasft.training.distributed_loop import fit_function
from kerasft.training.optimizers import default_optimizer
from kerasft.training.precision import apply_precision, check_precision, resolve_precision
from kerasft.training.strategy import get_strategy
from kerasft.training.training_run import TrainingRun
from kerasft.utils.arguments import fraction, non_negative_number, positive_int, positive_number

__all__ = ["PADDINGS", "Task", "load", "register_task", "task_class"]

PADDINGS = ("bucket", "longest", "max_length")


class Task(RunHooks, ParityTexts, TaskSaving, keras.Model):
    """Base class of kerasft task models: backbone + head + preprocessor.

    A new task subclasses `Task`, builds its head in `__init__` (a
    functional model over `backbone.input`, then `self._attach(backbone,
    preprocessor)`), registers with `@register_task`, and fills the hooks
    below (and the run hooks of `RunHooks`, for YAML runs and the CLI).
    Nothing else in kerasft has to change: runs, the CLI, saving and export
    call only these hooks.

    Class attributes:
        task_name: str. The `task:` name in run configs and exports.
        preprocessor_cls: the preprocessor class (`TextPreprocessor` by
            default); `build_preprocessor` and `kerasft.load` use it.
        preprocessor_options: tuple of str. Keyword arguments of
            `from_pretrained`/`from_backbone` that go to
            `build_preprocessor` rather than to the constructor.
        default_sequence_length: int. `sequence_length` when none is given.
        requires_targets: bool. False for tasks that learn from the texts
            alone (language models).
    """

    task_name = "task"
    preprocessor_cls = TextPreprocessor
    preprocessor_options = ()
    default_sequence_length = 128
    requires_targets = True

    # -- construction --------------------------------------------------------
    @classmethod
    def from_pretrained(cls, source, *, sequence_length=None, backbone_config=None,
                        strategy=None, precision=None, **kwargs):
        """Builds the task on a pretrained backbone.

        Args:
            source: str or path. See `kerasft.from_pretrained`: a known name
                (`"minilm-l6"`), a Hugging Face or keras-hub directory, or an
                `hf://` / `kaggle://` handle.
            sequence_length: int or None. Maximum tokens per example (per
                window for windowed tasks). Defaults to the task's
                `default_sequence_length`.
            backbone_config: dict or None. Backbone config overrides, for
                example `{"num_layers": 2}`.
            strategy: None, a name (`"mirrored"`, `"multi_worker"`, `"tpu"`)
                or a `tf.distribute.Strategy`. Model and optimizer are built
                in its scope; `fit` then trains data-parallel.
            precision: None or a `compile` precision (`"float32"` turns mixed
                precision off); `compile`'s own argument wins.
            **kwargs: the task's constructor arguments (labels, dropout...)
                and its `preprocessor_options`.
        """
        with get_strategy(strategy).scope():
            backbone, tokenizer = load_pretrained(source, **(backbone_config or {}))
            kwargs = {**cls.pretrained_task_kwargs(source, backbone), **kwargs}
            return cls.from_backbone(backbone, tokenizer, sequence_length=sequence_length,
                                     precision=precision, **kwargs)

    @classmethod
    def from_backbone(cls, backbone, tokenizer, *, sequence_length=None, precision=None,
                      **kwargs):
        """Builds the task on an in-memory backbone and tokenizer (in the
        current strategy scope); arguments as in `from_pretrained`."""
        options = {k: kwargs.pop(k) for k in cls.preprocessor_options if k in kwargs}
        preprocessor = cls.build_preprocessor(
            tokenizer, backbone, sequence_length=sequence_length or cls.default_sequence_length,
            **options)
        task = cls(backbone=backbone, preprocessor=preprocessor, **kwargs)
        task._kft_precision = precision and check_precision(precision)
        return task

    @classmethod
    def build_preprocessor(cls, tokenizer, backbone, sequence_length, **options):
        """The task's preprocessor for `backbone` (hook).

        Args:
            tokenizer: `kerasft.Tokenizer`.
            backbone: the backbone the task is built on.
            sequence_length: int. Tokens per example.
            **options: the task's `preprocessor_options`.
        """
        return cls.preprocessor_cls(
            tokenizer, sequence_length=sequence_length, input_names=list(backbone.input),
            max_sequence_length=max_sequence_length(backbone), **options)

    @classmethod
    def pretrained_task_kwargs(cls, source, backbone):
        """Constructor arguments read from the checkpoint (hook; explicit
        arguments win). Default: none."""
        return {}

    def _attach(self, backbone, preprocessor):
        flatten_projections(backbone)  # fast kernel gradients (layers/projections.py)
        fast_dropouts(backbone)  # 16 random bits per element (layers/dropout.py)
        fast_gelus(backbone)  # one fused pass each way (layers/gelu.py)
        fast_attentions(backbone)  # fewer passes over the scores (layers/attention.py)
        self.backbone = backbone
        self.preprocessor = preprocessor
        self._kft_compile_args, self._kft_precision = None, None

    # -- training hooks --------------------------------------------------------
    def encode_targets(self, y, class_weight=None, source=None):
        """Raw targets -> `(targets, sample_weight or None)` (hook).

        Args:
            y: the targets as the user gave them (label names, values,
                tags...).
            class_weight: `fit`'s `class_weight` (`"balanced"`, a dict
                label -> weight, or None). Tasks that cannot weight classes
                raise a `KerasftError` when it is not None.
            source: str or None. Where `y` came from, for error messages.
        """
        raise NotImplementedError

    def default_loss(self):
        """The loss `compile(loss="auto")` uses (hook)."""
        raise NotImplementedError

    def default_metrics(self):
        """The metrics `compile(metrics="auto")` uses (hook). Default: none."""
        return []

    def get_task_config(self):
        """Constructor arguments other than backbone and preprocessor
        (hook); saved with the model and passed back by `kerasft.load`."""
        return {}

    def save_extras(self, directory):
        """Writes task files beside the weights (label vocabulary...) (hook)."""

    def _is_raw_input(self, x):
        """Whether `fit`/`evaluate`/`predict` treat `x` as raw inputs to
        preprocess (hook; default: texts or text pairs)."""
        return is_raw_text(x)

    # -- results hooks ---------------------------------------------------------
    def predict_records(self, x, batch_size=32):
        """JSON-ready predictions, one dict per input (hook; the CLI's
        `predict` prints them)."""
        raise NotImplementedError

    def evaluate_report(self, x, y, output_dir=None, batch_size=32):
        """The task's evaluation report on raw inputs and true targets
        (hook): a JSON-ready dict, also written to `output_dir` (metrics.json
        and plots) when given."""
        raise NotImplementedError

    @staticmethod
    def format_report(report):
        """The report as the CLI prints it (hook; default: JSON)."""
        return json.dumps(report, indent=2, default=str)

    def export_spec(self, tokenizer=None, sequence_length=None):
        """The `kerasft.export.ExportSpec` describing this model to the
        exporter and the parity gate (hook)."""
        raise NotImplementedError

    # -- data ----------------------------------------------------------------
    def _features(self, x, name="x", progress=True):
        texts, pairs = split_texts(x, name)
        return self.preprocessor.encode(texts, pairs, progress=progress)

    def make_dataset(self, x, y=None, batch_size=32, shuffle=False, seed=None,
                     padding="bucket", sample_weight=None, class_weight=None, name="x"):
        """Raw inputs (and targets) -> `(tf.data.Dataset, num_batches)`.

        Args:
            padding: `"bucket"` (group by length, pad each batch to its
                longest member), `"longest"` (pad each batch to its longest
                member, no grouping) or `"max_length"` (pad everything to
                `sequence_length`, the classic fixed shape).
        """
        if padding not in PADDINGS:
            raise ConfigError(
                f"`padding` must be one of {PADDINGS}. Received: padding={padding!r}"
            )
        features = self._features(x, name)
        targets = None
        if y is not None:
            targets, weights = self.encode_targets(y, class_weight=class_weight)
            n = len(features["token_ids"])
            if len(targets) != n:
                raise KerasftError(
                    f"Found input variables with inconsistent numbers of "
                    f"samples. Received: {n} texts and {len(targets)} targets."
                )
            if sample_weight is None:
                sample_weight = weights
        return self.preprocessor.make_dataset(
            features, targets, sample_weight, batch_size=batch_size,
            shuffle=shuffle, seed=seed, bucket=padding == "bucket",
            pad_multiple=self.preprocessor.sequence_length if padding == "max_length" else 8,
        )

    # -- Keras API -----------------------------------------------------------
    def compile(self, optimizer="auto", loss="auto", metrics="auto",
                learning_rate=5e-5, weight_decay=0.01, warmup_ratio=0.1, precision=None,
                **kwargs):
        """Configures training; with no arguments, kerasft's recipe.

        Args:
            optimizer: `"auto"` or any Keras optimizer. `"auto"` is AdamW
                with linear warmup then linear decay over the steps `fit`
                plans, and no weight decay on LayerNorm weights and biases.
            loss: `"auto"` (the task's loss) or any Keras loss.
            metrics: `"auto"` (the task's metrics) or any Keras metrics.
            learning_rate: float. Peak rate of the `"auto"` optimizer.
            weight_decay: float. Weight decay of the `"auto"` optimizer.
            warmup_ratio: float. Fraction of steps spent warming up.
            precision: None (`from_pretrained`'s, else `"auto"`) or one of
                `kerasft.training.precision.PRECISIONS`: the backbone's compute
                dtype; head, outputs, loss and exports stay float32.
            **kwargs: passed to `keras.Model.compile`; `jit_compile` defaults
                to False (XLA compiles each bucket shape: bench/train_bench.py).

        Raises:
            ConfigError: `learning_rate` <= 0, `weight_decay` < 0,
                `warmup_ratio` outside [0, 1) or an unknown `precision`.
        """
        learning_rate = positive_number(learning_rate, "learning_rate")
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        warmup_ratio = fraction(warmup_ratio, "warmup_ratio")
        precision = check_precision(precision or self._kft_precision or "auto")
        kwargs.setdefault("jit_compile", False)
        self._kft_compile_args = dict(precision=precision,
            optimizer=optimizer, loss=loss, metrics=metrics,
            learning_rate=learning_rate, weight_decay=weight_decay,
            warmup_ratio=warmup_ratio, kwargs=kwargs,
        )
        self._compile_for_steps(1)

    def _compile_for_steps(self, total_steps):
        args = self._kft_compile_args
        optimizer = args["optimizer"]
        if isinstance(optimizer, str) and optimizer == "auto":
            with self.distribute_strategy.scope():
                optimizer = default_optimizer(
                    total_steps, args["learning_rate"], args["weight_decay"],
                    args["warmup_ratio"],
                )
        apply_precision(self, resolve_precision(args["precision"]))
        with self.distribute_strategy.scope():  # metric variables sum over replicas
            loss = self.default_loss() if args["loss"] == "auto" else args["loss"]
            metrics = self.default_metrics() if args["metrics"] == "auto" else args["metrics"]
            super().compile(optimizer=optimizer, loss=loss, metrics=metrics, **args["kwargs"])
            self.optimizer.build(self.trainable_variables)  # else the step is traced twice

    def fit(self, x=None, y=None, *, batch_size=32, epochs=1, validation_data=None,
            callbacks=None, class_weight=None, sample_weight=None, shuffle=True,
            seed=None, early_stopping_patience=2, checkpoint_dir=None, padding="bucket",
            backup_dir=None, backup_interval=None, training_loop="auto", **kwargs):
        """Trains on raw texts (or on a `tf.data.Dataset`, as in Keras).

        Args:
            x: raw texts, sentence pairs, or anything `keras.Model.fit` takes.
            y: targets (label names or ids for classifiers).
            batch_size: int. Defaults to 32.
            epochs: int. Defaults to 1.
            validation_data: `(x_val, y_val)` of raw texts, or a dataset.
                Turns on EarlyStopping on `val_loss` (restoring the best
                weights) and best-model checkpointing.
            callbacks: list of Keras callbacks, added to the defaults.
            class_weight: `"balanced"`, a dict label -> weight, or None.
            shuffle: bool. Reshuffle the training data every epoch (the
                order of each epoch depends on `seed` and the epoch only).
            seed: int or None. Shuffling seed.
            early_stopping_patience: int or None. Epochs without validation
                improvement before stopping; None disables early stopping.
            checkpoint_dir: str or None. Where the best weights are written
                (`best.weights.h5`); when None, a temporary directory (inside
                `backup_dir` if given) deleted when `fit` returns.
            padding: `"bucket"` (default), `"longest"` or `"max_length"`;
                see `make_dataset`.
            backup_dir: str or None. When it holds a backup, training resumes
                from it as if never interrupted; otherwise one is written as
                training goes and deleted when `fit` returns.
            backup_interval: int or None. Steps between backups (and at each
                epoch end); None: every 5 minutes.
            training_loop: `"auto"` (Keras' `fit`, or kerasft's own
                distributed loop where Keras' cannot run the strategy:
                multi-worker), `"keras"` or `"kerasft"`. See
                `kerasft.training.distributed_loop`.

        Returns:
            A Keras `History`.

        Raises:
            NonFiniteLossError: the loss became NaN or infinite (names the
                epoch and step); nothing is backed up or checkpointed.
        """
        epochs = positive_int(epochs, "epochs")
        batch_size = self._checked_batch_size(batch_size, x)
        keras_fit = fit_function(self, super().fit, training_loop)
        if not self._is_raw_input(x):
            if self._kft_compile_args is None:
                self.compile()
            return TrainingRun(epochs, backup_dir, backup_interval, seed,
                               self.distribute_strategy).fit(
                keras_fit, x, y=y, batch_size=batch_size, validation_data=validation_data,
                callbacks=list(callbacks or []), class_weight=class_weight,
                sample_weight=sample_weight, shuffle=shuffle, **kwargs)
        if y is None and self.requires_targets:
            raise KerasftError("`fit` on raw texts needs targets. Received: y=None.")
        run = TrainingRun(epochs, backup_dir, backup_interval, seed, self.distribute_strategy)
        order = run.epoch_order() if shuffle else False
        train, steps = self.make_dataset(x, y, batch_size=batch_size, shuffle=order,
                                         sample_weight=sample_weight,
                                         class_weight=class_weight, padding=padding)
        val = None
        callbacks = list(callbacks or [])
        if validation_data is not None:
            if self._is_raw_input(validation_data[0]):
                val, _ = self.make_dataset(validation_data[0], validation_data[1],
                                           batch_size=batch_size, name="validation x")
            else:
                val = validation_data
            extra, best = validation_callbacks(early_stopping_patience,
                                               run.checkpoint_dir(checkpoint_dir))
            # Kept only when the caller chose the folder (else it is gone after `fit`).
            callbacks, self.best_checkpoint_ = callbacks + extra, checkpoint_dir and best
        if self._kft_compile_args is None:
            self.compile()
        self._compile_for_steps(steps * epochs)
        history = run.fit(keras_fit, train, validation_data=val, shuffle=False,
                          callbacks=callbacks, num_batches=steps,
                          steps_per_epoch=steps if order else None, **kwargs)
        self.keep_parity_texts(x, y, validation_data)  # the export gate's texts
        return history

    def _checked_batch_size(self, batch_size, x):
        # Raw texts need a batch size; Keras inputs may leave it to Keras (None).
        if batch_size is None and not self._is_raw_input(x):
            return None
        return positive_int(batch_size, "batch_size")

    def evaluate(self, x=None, y=None, batch_size=32, **kwargs):
        """Keras `evaluate`, also on raw texts and targets."""
        batch_size = self._checked_batch_size(batch_size, x)
        if self._is_raw_input(x):
            ds, _ = self.make_dataset(x, y, batch_size=batch_size)
            return super().evaluate(ds, **kwargs)
        return super().evaluate(x, y, batch_size=batch_size, **kwargs)

    def predict(self, x, batch_size=32, **kwargs):
        """Keras `predict`, also on raw texts (outputs in input order)."""
        batch_size = self._checked_batch_size(batch_size, x)
        if not self._is_raw_input(x):
            return super().predict(x, batch_size=batch_size, **kwargs)
        ordered, inverse = sorted_by_length(self._features(x))
        ds, _ = self.preprocessor.make_dataset(ordered, batch_size=batch_size, bucket=False,
                                               pad_multiple=32)
        kwargs.setdefault("verbose", 0)
        return in_input_order(super().predict(ds, **kwargs), inverse)

    # -- explanations ----------------------------------------------------------
    def explain(self, x, target=None, method="integrated_gradients", steps=32, batch_size=4):
        """Word attributions per input; see `kerasft.explain.explain`."""
        from kerasft.explain.explainer import explain

        return explain(self, x, target=target, method=method, steps=steps,
                       batch_size=batch_size)

    def explanation_inputs(self, x, target=None):
        """Raw inputs -> `kerasft.explain.ExplanationInput`s with the targets
        to explain (hook; `target=None`: the model's own prediction)."""
        raise KerasftError(f"Expected an encoder task with explanations. Received: "
                           f"{type(self).__name__}. Explain a classifier, regressor, "
                           "token classifier or question answerer.")
