"""`TextRegressor`: one or more real-valued targets per text or text pair.

Targets are standardized with the training targets' mean and standard
deviation: the head predicts standardized values, a `TargetScaling` layer
maps them back inside the graph, and the loss is the mean squared error in
standardized units. So `predict`, Keras metrics and exported models all
speak the targets' original scale, while training sees targets of unit
variance whatever their range.
"""

import keras
import numpy as np
from keras import ops

from kerasft.data.multi_label import column_key
from kerasft.data.regression import read_regression
from kerasft.data.splits import train_test_split
from kerasft.errors import ConfigError, DataError
from kerasft.evaluation.classification import write_report
from kerasft.evaluation.regression import (
    default_target_names,
    first_non_finite,
    format_report,
    plot_predictions,
    regression_report,
)
from kerasft.layers.dense_head import dense_head
from kerasft.layers.losses import StandardizedMeanSquaredError
from kerasft.layers.pooling import pooled_output, resolve_pooling
from kerasft.layers.target_scaling import TargetScaling
from kerasft.tasks.task import Task, register_task


@register_task
class TextRegressor(Task):
    """A pretrained backbone with a linear head predicting real values.

    Args:
        backbone: keras-hub `Backbone`.
        preprocessor: `kerasft.preprocessors.TextPreprocessor`.
        num_targets: int or None. Number of targets. Defaults to the length
            of `target_names`, or 1.
        target_names: list of str or None. Names of the targets in reports
            and predictions. Defaults to `["target"]` (`["target_0", ...]`).
        standardize: bool. Whether the first `fit` on raw targets sets
            `target_mean`/`target_std` from them. Defaults to `True`.
        target_mean, target_std: lists of float or None. Standardization
            statistics (set by `fit`; saved with the model).
        dropout: float. Dropout rate before the Dense layer. Defaults to 0.1.
        l2: float. L2 penalty on the Dense kernel. Defaults to 0.
        pooling: str. `"auto"`, `"mean"`, `"cls"`, `"pooled"` or `"last"`
            (see `TextClassifier`). Defaults to `"auto"`.

    Example:
    ```python
    model = kerasft.TextRegressor.from_pretrained("minilm-l6", target_names=["similarity"])
    model.fit((sentences_a, sentences_b), scores, validation_data=(val_pairs, val_scores))
    model.evaluate_report(test_pairs, test_scores)   # MSE, RMSE, MAE, Pearson, Spearman
    model.predict([("A man plays a flute.", "A man is playing a flute.")])
    ```
    """

    task_name = "text_regressor"

    def __init__(self, backbone, preprocessor, num_targets=None, target_names=None,
                 standardize=True, target_mean=None, target_std=None, dropout=0.1,
                 l2=0.0, pooling="auto", **kwargs):
        if target_names is not None and num_targets is not None and \
                len(target_names) != num_targets:
            raise ConfigError(
                f"Expected one target name per target. Received: num_targets="
                f"{num_targets}, target_names={list(target_names)}."
            )
        k = num_targets or (len(target_names) if target_names else 1)
        names = list(target_names) if target_names else default_target_names(k)
        if not isinstance(k, int) or k < 1 or len(set(names)) != k:
            raise ConfigError(
                "Expected a positive number of distinct targets. Received: "
                f"num_targets={num_targets!r}, target_names={target_names!r}."
            )
        mean = self._statistic(target_mean, k, "target_mean", 0.0)
        std = self._statistic(target_std, k, "target_std", 1.0)
        if np.any(std <= 0):
            raise ConfigError(f"`target_std` must be > 0. Received: target_std={std.tolist()}")
        # === Layers ===
        dropout_layer, dense = dense_head(k, dropout, l2, name="standardized_outputs")
        scaling = TargetScaling(mean.tolist(), std.tolist(), dtype="float32",
                                name="predictions")
        # === Functional Model ===
        inputs = backbone.input
        pooling = resolve_pooling(backbone, pooling)
        x = pooled_output(backbone, inputs, pooling)
        outputs = scaling(ops.cast(dense(dropout_layer(x)), "float32"))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)
        # === Config ===
        self._attach(backbone, preprocessor)
        self.num_targets = k
        self.target_names = [str(n) for n in names]
        self.standardize = standardize
        self.target_mean = None if target_mean is None else mean
        self.target_std = None if target_std is None else std
        self.dropout = dropout
        self.l2 = l2
        self.pooling = pooling
        self._scaling = scaling

    @staticmethod
    def _statistic(values, k, name, default):
        if values is None:
            return np.full(k, default)
        array = np.asarray(values, dtype="float64").reshape(-1)
        if array.shape != (k,) or not np.all(np.isfinite(array)):
            raise ConfigError(
                f"Expected {k} finite values, one per target. Received: "
                f"{name}={values!r}."
            )
        return array

    def get_task_config(self):
        def listed(values):
            return None if values is None else [float(v) for v in values]

        return {
            "num_targets": self.num_targets,
            "target_names": list(self.target_names),
            "standardize": self.standardize,
            "target_mean": listed(self.target_mean),
            "target_std": listed(self.target_std),
            "dropout": self.dropout,
            "l2": self.l2,
            "pooling": self.pooling,
        }

    def default_loss(self):
        scale = np.ones(self.num_targets) if self.target_std is None else self.target_std
        return StandardizedMeanSquaredError(scale)

    def default_metrics(self):
        return [keras.metrics.MeanSquaredError(name="mse"),
                keras.metrics.MeanAbsoluteError(name="mae")]

    def encode_targets(self, y, class_weight=None, source=None):
        """Numbers (one target) or rows of numbers -> float32 `(n, num_targets)`.

        Raises:
            DataError: a target that is not a finite number (names the row),
                or the wrong number of targets per example.
            ConfigError: `class_weight` was passed to `fit`.
        """
        if class_weight is not None:
            raise ConfigError(
                "`class_weight` applies to classifiers. Received: class_weight="
                f"{class_weight!r}. Drop it, or pass sample_weight."
            )
        name = source or "y"
        try:
            targets = np.asarray(y, dtype="float64")
        except (TypeError, ValueError):
            targets = None
        if targets is not None and targets.ndim == 1 and self.num_targets == 1:
            targets = targets[:, None]
        if targets is None or targets.ndim != 2 or targets.shape[1] != self.num_targets:
            raise DataError(
                f"Expected {self.num_targets} number(s) per example "
                f"({self.target_names}). Received: {name} with shape "
                f"{getattr(targets, 'shape', None) or np.shape(y)}. Pass a list of "
                "numbers, or one row of numbers per example."
            )
        bad = first_non_finite(targets)
        if bad:
            row, column = bad
            raise DataError(
                f"Expected finite targets. Received: {targets[row, column]} for "
                f"{self.target_names[column]!r} at row index {row} of {name}. Drop "
                "or fill that example."
            )
        return targets.astype("float32"), None

    # -- training ------------------------------------------------------------
    def set_standardization(self, mean, std):
        """Sets the target statistics used by the head (and saved)."""
        mean = self._statistic(mean, self.num_targets, "target_mean", 0.0)
        std = self._statistic(std, self.num_targets, "target_std", 1.0)
        std = np.where(std > 0, std, 1.0)  # a constant target keeps unit scale
        self._scaling.mean.assign(mean.astype("float32"))
        self._scaling.std.assign(std.astype("float32"))
        self.target_mean, self.target_std = mean, std

    def fit(self, x=None, y=None, **kwargs):
        """Trains as `Task.fit`. With `standardize` and raw inputs, the first
        call sets the target mean/std from `y`."""
        if self.standardize and self.target_mean is None and self._is_raw_input(x) and \
                y is not None:
            targets, _ = self.encode_targets(y)
            self.set_standardization(targets.mean(0), targets.std(0))
        return super().fit(x, y, **kwargs)

    # -- export ----------------------------------------------------------------
    def export_spec(self, tokenizer=None, sequence_length=None):
        """`RegressionSpec`: the backbone inputs -> `predictions`
        `[batch, num_targets]` in the targets' units (the standardization is
        inside the graph). Quantized artifacts must stay within 0.05 target
        standard deviations of Keras on 98% of the parity texts."""
        from kerasft.export.spec import RegressionSpec

        scale = np.ones(self.num_targets) if self.target_std is None else self.target_std
        return RegressionSpec(list(self.input), tokenizer or self.preprocessor.tokenizer,
                              sequence_length or self.preprocessor.sequence_length,
                              self.target_names, scale, task_name=self.task_name)

    # -- hooks used by runs (CLI/YAML) ---------------------------------------
    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Reads a file with `read_regression`: `data.label_column` names the
        target column(s); `data.reader_options` may set `header` and
        `delimiter` (column indices then address fields)."""
        options = dict(data_config.get("reader_options") or {})
        targets = data_config.get("label_column") if require_labels else None
        if isinstance(targets, (list, tuple)):
            targets = [column_key(t, options) for t in targets]
        return read_regression(
            path, text_column=column_key(data_config.get("text_column", "text"), options),
            target_column=column_key(targets, options),
            text_pair_column=column_key(data_config.get("text_pair_column"), options),
            encoding=data_config.get("encoding", "utf-8"),
            require_targets=require_labels, **options)

    @classmethod
    def model_config_defaults(cls):
        return {"target_names": None, "standardize": True}

    @classmethod
    def split_data(cls, data, fraction, seed):
        return train_test_split(data, test_size=fraction, seed=seed, stratify=False)

    @classmethod
    def task_kwargs_from_data(cls, train):
        return {"num_targets": int(np.asarray(train.labels[0]).size)}

    @staticmethod
    def format_report(report):
        return format_report(report)

    # -- predictions and reports --------------------------------------------
    def explanation_inputs(self, x, target=None):
        """Each text toward each predicted value (or `target`'s, a name)."""
        from kerasft.explain.targets import choose_values, sequence_inputs

        return sequence_inputs(self, x, choose_values(self.target_names, target))

    def predict_records(self, x, batch_size=32):
        """`{target: value}` per text: the `predictions` that
        `kerasft.decoding.regression` decodes (runners print them under
        `"predictions"`, beside the text)."""
        from kerasft.decoding import regression

        predictions = self.predict(x, batch_size=batch_size)
        records = regression.decode({"predictions": predictions},
                                    {"target_names": list(self.target_names)})
        return [r["predictions"] for r in records]

    def evaluate_report(self, x, y, output_dir=None, batch_size=32):
        """MSE, RMSE, MAE, Pearson and Spearman per target (scikit-learn,
        SciPy) on the original scale.

        Args:
            x: raw texts (or pairs).
            y: true targets.
            output_dir: str or None. If given, writes `metrics.json` and
                `predictions.png` (predicted vs true) there.

        Returns:
            dict, see `kerasft.evaluation.regression_report`.
        """
        import os


        y_true, _ = self.encode_targets(y)
        predictions = self.predict(x, batch_size=batch_size)
        report = regression_report(y_true, predictions, self.target_names)
        if output_dir is not None:
            write_report(report, output_dir)
            plot_predictions(y_true, predictions, self.target_names,
                             os.path.join(output_dir, "predictions.png"))
        return report
