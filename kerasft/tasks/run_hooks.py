"""`RunHooks`: how a task reads, splits and hands over the data of a YAML
run or CLI call. `Task` inherits them; tasks override what differs."""

from kerasft.data.readers import read_texts
from kerasft.data.splits import train_test_split
from kerasft.errors import ConfigError

CLASSIFIER_MODEL_KEYS = ("dropout", "l2", "pooling")


def task_kwargs_without_classifier_keys(model_config):
    """A run config's `model:` section less the classifier keys of the
    defaults (generative tasks take none of them); for their
    `task_kwargs_from_config`."""
    return {k: v for k, v in dict(model_config).items() if k not in CLASSIFIER_MODEL_KEYS}


class RunHooks:
    """The hooks `kerasft.runs` and the CLI call on a task class.

    Class attributes:
        per_token_outputs: bool. True for tasks that score every token
            (tagging, span extraction): they have no pooling, so a run
            config's `model.pooling` other than `auto`/`mean` is refused.
    """

    per_token_outputs = False

    @classmethod
    def model_config_defaults(cls):
        """Defaults of the run config's `model:` keys this task adds (hook),
        so they are known keys (`model.doc_stride: 96`). Default: none."""
        return {}

    @classmethod
    def read_data(cls, path, data_config, require_labels=True):
        """Reads one data file for this task (hook; default: CSV/TSV/JSONL
        texts with a label column)."""
        return read_texts(
            path, text_column=data_config["text_column"],
            label_column=data_config["label_column"] if require_labels else None,
            text_pair_column=data_config["text_pair_column"],
            encoding=data_config["encoding"], require_labels=require_labels)

    @classmethod
    def split_data(cls, data, fraction, seed):
        """Splits off `fraction` of `data`; returns `(rest, part)` (hook)."""
        return train_test_split(data, test_size=fraction, seed=seed)

    @classmethod
    def inputs_targets(cls, data):
        """`(x, y)` for `fit`/`evaluate_report` from what `read_data`
        returns (hook)."""
        x = data.texts if data.pairs is None else (data.texts, data.pairs)
        return x, data.labels

    @classmethod
    def parity_inputs(cls, x, y):
        """`(texts, labels)` for the export parity gate from `fit`-style
        `(x, y)` (hook): texts (or `(first, second)` tuples) and labels the
        task's `ExportSpec.metric` reads."""
        if isinstance(x, tuple) and len(x) == 2:
            return list(zip(*x)), y
        return list(x), y

    @classmethod
    def task_kwargs_from_data(cls, train):
        """Constructor arguments learnt from the training data (labels...)
        (hook)."""
        return {}

    @classmethod
    def task_kwargs_from_config(cls, model_config):
        """Constructor arguments from a run config's `model:` section (hook)."""
        config = dict(model_config)
        if cls.per_token_outputs:
            pooling = config.pop("pooling", None)
            if pooling not in (None, "auto", "mean"):
                raise ConfigError(
                    f"{cls.__name__} scores every token and has no pooling. Received: "
                    f"model.pooling={pooling!r}. Remove it.")
        return config
