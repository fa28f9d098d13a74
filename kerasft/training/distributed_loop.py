"""kerasft's own data-parallel training loop, for strategies Keras' `fit`
cannot run.

Keras 3's `fit` fails under `MultiWorkerMirroredStrategy`
(keras-team/keras#20585, #20329), and so does Ray Train's
`TensorflowTrainer`, which drives the same strategy. `DistributedLoop.fit`
has `fit`'s contract (arguments, callbacks at the same points, validation,
a `History`) and trains with the model's compiled optimizer, loss and
metrics in a `tf.function` step:

1. `strategy.run` on each replica's slice of the global batch (the dataset
   is split by `strategy.experimental_distribute_dataset`; with 2 workers
   each sees half of every batch a single process would see);
2. forward pass and the compiled loss under a `tf.GradientTape`; each
   replica's loss is weighted by its share of the global batch, so the
   gradients summed over replicas are the global batch's gradients, even
   when a batch does not split evenly;
3. one all-reduce of the dense gradients and of the embedding gradients'
   norms, then the optimizer's clipping (on the global gradients, as in a
   single process), then `optimizer.apply` (loss scaling, weight decay,
   the learning-rate schedule; during the loop its own clipping is off and
   its own all-reduce sums only the embeddings' `IndexedSlices`, so each
   dense gradient crosses the network once per step);
4. the loss tracker and compiled metrics are updated per replica and read
   (summed over replicas and workers) after each step.
"""

import contextlib

import keras
import numpy as np
import tensorflow as tf

from kerasft.errors import ConfigError
from kerasft.training.workers import is_chief

TRAINING_LOOPS = ("auto", "keras", "kerasft")
SUM = tf.distribute.ReduceOp.SUM


def uses_own_loop(strategy, training_loop="auto"):
    """Whether `fit` runs `DistributedLoop` rather than Keras' own `fit`.

    Args:
        strategy: the model's `tf.distribute.Strategy`.
        training_loop: `"auto"` (kerasft's loop where Keras' `fit` is known
            to fail: `MultiWorkerMirroredStrategy`), `"keras"` or
            `"kerasft"`.

    Raises:
        ConfigError: an unknown `training_loop`.
    """
    if training_loop not in TRAINING_LOOPS:
        raise ConfigError(
            f"Unknown training loop. Received: training_loop={training_loop!r}. "
            f"Known: {', '.join(TRAINING_LOOPS)}."
        )
    if training_loop != "auto":
        return training_loop == "kerasft"
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


def fit_function(model, keras_fit, training_loop="auto"):
    """`keras_fit` (bound `keras.Model.fit`), or `DistributedLoop(model).fit`
    when `uses_own_loop`."""
    if uses_own_loop(model.distribute_strategy, training_loop):
        return DistributedLoop(model).fit
    return keras_fit


def _python_logs(logs):
    out = {}
    for key, value in logs.items():
        value = np.asarray(value)
        out[key] = value.item() if value.ndim == 0 else value
    return out


def _map_values(gradient, fn):
    """`fn` on a dense gradient or on the values of `IndexedSlices`."""
    if isinstance(gradient, tf.IndexedSlices):
        return tf.IndexedSlices(fn(gradient.values), gradient.indices, gradient.dense_shape)
    return fn(gradient)


def _scale(gradient, factor):
    return _map_values(gradient, lambda t: t * tf.cast(factor, t.dtype))


def _square_norm(t):
    return tf.reduce_sum(tf.square(tf.cast(t, "float32")))


def _sum_slices_only(grads_and_vars):
    """The optimizer's all-reduce during the loop: the dense gradients
    arrive already summed over replicas (`_replica_gradients`), so only the
    embeddings' `IndexedSlices` are summed here."""
    pairs = list(grads_and_vars)
    context = tf.distribute.get_replica_context()
    slices = [i for i, (g, _) in enumerate(pairs) if isinstance(g, tf.IndexedSlices)]
    if context is None or not slices:
        return pairs
    for i, g in zip(slices, context.all_reduce(SUM, [pairs[i][0] for i in slices])):
        pairs[i] = (g, pairs[i][1])
    return pairs


@contextlib.contextmanager
def _optimizer_for_loop(optimizer):
    """Hands gradient clipping and the dense all-reduce to the loop for its
    duration: the optimizer's clipping is off and its all-reduce sums only
    `IndexedSlices` (`_sum_slices_only`). Yields `(clipnorm,
    global_clipnorm, clipvalue)`. Switched in the main thread: replica
    functions run in threads."""
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    saved = inner.clipnorm, inner.global_clipnorm, inner.clipvalue
    inner.clipnorm = inner.global_clipnorm = inner.clipvalue = None
    # Keras' TensorFlow optimizer sums every gradient over replicas in
    # `_all_reduce_sum_gradients` before `apply`; an instance attribute
    # shadows it for the loop only.
    inner._all_reduce_sum_gradients = _sum_slices_only
    try:
        yield saved
    finally:
        inner.clipnorm, inner.global_clipnorm, inner.clipvalue = saved
        del inner._all_reduce_sum_gradients


def _first_input(x):
    return tf.nest.flatten(x)[0]


def _with_class_weight(dataset, class_weight):
    """Maps `(x, y[, sw])` to `(x, y, sw * class_weight[y])`."""
    size = max(int(k) for k in class_weight) + 1
    table = tf.constant([float(class_weight.get(i, 1.0)) for i in range(size)])

    def weigh(x, y, sw=None):
        ids = tf.cast(y, "int64")
        if y.shape.rank is not None and y.shape.rank > 1 and y.shape[-1] != 1:
            ids = tf.argmax(y, axis=-1)
        weights = tf.gather(table, tf.reshape(ids, [-1]))
        return x, y, weights if sw is None else tf.cast(sw, "float32") * weights

    return dataset.map(weigh)


def as_dataset(x, y=None, sample_weight=None, batch_size=None, shuffle=False,
               class_weight=None):
    """A batched `tf.data.Dataset` of `(x, y[, sample_weight])`.

    Args:
        x: a `tf.data.Dataset` of batches (then `y` and `sample_weight` must
            be None), or arrays / dicts of arrays.
        y, sample_weight: arrays or None.
        batch_size: int. Batch size when `x` holds arrays; defaults to 32.
        shuffle: bool. Shuffle arrays every epoch.
        class_weight: dict class id -> weight, or None.
    """
    if isinstance(x, tf.data.Dataset):
        if y is not None or sample_weight is not None:
            raise ConfigError(
                "Expected the targets inside the dataset when `x` is a tf.data.Dataset. "
                f"Received: y={type(y).__name__}, sample_weight={type(sample_weight).__name__}."
            )
        dataset = x
    else:
        parts = tuple(p for p in (x, y, sample_weight) if p is not None)
        dataset = tf.data.Dataset.from_tensor_slices(parts)
        if shuffle:
            n = int(_first_input(x).shape[0]) if hasattr(_first_input(x), "shape") else len(
                _first_input(x))
            dataset = dataset.shuffle(n, reshuffle_each_iteration=True)
        dataset = dataset.batch(batch_size or 32)
    if class_weight:
        dataset = _with_class_weight(dataset, class_weight)
    return dataset


class DistributedLoop:
    """Trains `model` with its compiled optimizer, loss and metrics under
    its distribution strategy (see the module docstring).

    Args:
        model: a compiled `keras.Model` built under a `tf.distribute`
            strategy scope.
    """

    def __init__(self, model):
        self.model = model
        self.strategy = model.distribute_strategy
        self._test_functions = {}

    # -- data ----------------------------------------------------------------
    def distribute(self, dataset):
        """Splits each global batch of `dataset` over the replicas."""
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = (
            tf.data.experimental.AutoShardPolicy.DATA)
        return self.strategy.experimental_distribute_dataset(dataset.with_options(options))

    def _build(self, dataset):
        """Builds model, compiled loss and metrics, and the optimizer outside
        any `tf.function` (variables cannot be created inside a replica)."""
        with self.strategy.scope():
            self.model._symbolic_build(data_batch=dataset.element_spec)
            if not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)

    # -- one step -----------------------------------------------------------
    def _replica_step(self, data, training):
        model, optimizer = self.model, self.model.optimizer
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        n = tf.cast(tf.shape(_first_input(x))[0], "float32")
        share = n / tf.maximum(context.all_reduce(SUM, n), 1.0)
        with tf.GradientTape() as tape:
            y_pred = model(x, training=training)
            # Keras divides each replica's batch mean by the replica count;
            # undo that, then weigh by this replica's share of the batch.
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                      training=training) * replicas
            scaled = optimizer.scale_loss(loss * share) if training else None
        if training:
            # Variables without a gradient are left out, as Keras does.
            pairs = [(g, v) for g, v in zip(tape.gradient(scaled, model.trainable_variables),
                                            model.trainable_variables) if g is not None]
            optimizer.apply(self._replica_gradients(context, [g for g, _ in pairs]),
                            [v for _, v in pairs])
        model._loss_tracker.update_state(loss, sample_weight=n)
        model.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def _replica_gradients(self, context, grads):
        """The clipped gradients for `optimizer.apply`: the global batch's
        gradients, clipped as Keras clips them in one process (Keras would
        clip each replica's part).

        Dense gradients are all-reduced here and clipped by their norm;
        `apply` uses them as they are (`_sum_slices_only`). `IndexedSlices`
        (embeddings) stay this replica's slices, scaled by the clipping
        factor of all slices: Keras' clipping norm and Adam's second
        moment use the slices, so the concatenation `apply` makes must be
        that of a single process.
        """
        optimizer = self.model.optimizer
        clipnorm, global_clipnorm, clipvalue = self._clipping
        scale = (tf.cast(optimizer.dynamic_scale, "float32")
                 if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else 1.0)
        sparse = [isinstance(g, tf.IndexedSlices) for g in grads]
        dense, slice_squares = context.all_reduce(SUM, (
            [g for g, sp in zip(grads, sparse) if not sp],
            [_square_norm(g.values) for g, sp in zip(grads, sparse) if sp]))
        dense, slice_squares = iter(dense), iter(slice_squares)
        grads = [g if sp else next(dense) for g, sp in zip(grads, sparse)]
        squares = [next(slice_squares) if sp else _square_norm(g)
                   for g, sp in zip(grads, sparse)]
        if clipnorm:
            factors = [clipnorm / tf.maximum(tf.sqrt(sq) / scale, clipnorm) for sq in squares]
        elif global_clipnorm:
            norm = tf.sqrt(tf.add_n(squares)) / scale
            factors = [global_clipnorm / tf.maximum(norm, global_clipnorm)] * len(grads)
        else:
            factors = [1.0] * len(grads)
        if clipvalue:
            limit = clipvalue * scale
            grads = [_map_values(g, lambda t: tf.clip_by_value(t, -limit, limit))
                     for g in grads]
        return [_scale(g, f) for g, f in zip(grads, factors)]

    def _step_function(self, dataset, training):
        """A `tf.function` running one distributed step on a batch of
        `dataset` and returning the metric results."""

        def step(data):
            self.strategy.run(self._replica_step, args=(data, training))
            return self.model.get_metrics_result()

        step = tf.function(step, input_signature=[dataset.element_spec])

        def run_on_next(iterator):
            return step(next(iterator))

        return run_on_next

    # -- fit -----------------------------------------------------------------
    def evaluate(self, dataset, callbacks=None, steps=None):
        """Mean loss and metrics over a distributed `dataset` (test mode).

        Returns:
            dict name -> value.
        """
        self.model.reset_metrics()
        # One traced test step per dataset, reused every epoch (the entry
        # keeps the dataset alive, so its id is not reused).
        if id(dataset) not in self._test_functions:
            self._test_functions[id(dataset)] = (
                dataset, self._step_function(dataset, training=False))
        test_function = self._test_functions[id(dataset)][1]
        logs, step = {}, 0
        if callbacks is not None:
            callbacks.on_test_begin()
        iterator = iter(dataset)
        while steps is None or step < steps:
            if callbacks is not None:
                callbacks.on_test_batch_begin(step)
            try:
                logs = _python_logs(test_function(iterator))
            except (StopIteration, tf.errors.OutOfRangeError):
                break
            if callbacks is not None:
                callbacks.on_test_batch_end(step, logs)
            step += 1
        logs = _python_logs(self.model.get_metrics_result())
        if callbacks is not None:
            callbacks.on_test_end(logs)
        return logs

    def fit(self, x=None, y=None, *, batch_size=None, epochs=1, verbose="auto",
            callbacks=None, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_steps=None, validation_batch_size=None, validation_freq=1):
        """`keras.Model.fit`'s contract, on the model's strategy.

        With `steps_per_epoch`, one iterator runs across epochs (a stream
        holding all epochs, as `Task.fit` builds); without it, each epoch
        reads the dataset once.

        Returns:
            A Keras `History`.
        """
        model = self.model
        train = as_dataset(x, y, sample_weight, batch_size, shuffle, class_weight)
        val = None
        if validation_data is not None:
            val = (validation_data if isinstance(validation_data, tf.data.Dataset)
                   else as_dataset(*validation_data,
                                   batch_size=validation_batch_size or batch_size))
        self._build(train)
        dist_train = self.distribute(train)
        dist_val = self.distribute(val) if val is not None else None
        if verbose == "auto":
            verbose = 1
        if not is_chief(self.strategy):
            verbose = 0  # one progress display: the chief's
        callbacks = keras.callbacks.CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, verbose=verbose,
            epochs=epochs, steps=steps_per_epoch, model=model)
        model.stop_training = False
        model.train_function = self._step_function(dist_train, training=True)
        with _optimizer_for_loop(model.optimizer) as self._clipping:
            try:
                return self._run(model, callbacks, dist_train, dist_val, epochs,
                                 initial_epoch, steps_per_epoch, validation_steps,
                                 validation_freq)
            finally:
                model.train_function = None  # Keras' own fit builds its own again

    def _run(self, model, callbacks, dist_train, dist_val, epochs, initial_epoch,
             steps_per_epoch, validation_steps, validation_freq):
        callbacks.on_train_begin()
        iterator, logs, training_logs = None, {}, None
        for epoch in range(initial_epoch, epochs):
            model.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            if iterator is None or steps_per_epoch is None:
                iterator = iter(dist_train)
            step = 0
            while steps_per_epoch is None or step < steps_per_epoch:
                callbacks.on_train_batch_begin(step)
                try:
                    logs = _python_logs(model.train_function(iterator))
                except (StopIteration, tf.errors.OutOfRangeError):
                    break
                callbacks.on_train_batch_end(step, logs)
                step += 1
                if model.stop_training:
                    break
            epoch_logs = _python_logs(model.get_metrics_result())
            if dist_val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self.evaluate(dist_val, callbacks, steps=validation_steps)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if model.stop_training:
                break
        callbacks.on_train_end(logs=training_logs)
        return model.history
