"""Argument checks shared by the Python API and run configs.

`Task.compile`/`fit`/`evaluate`/`predict` and `kerasft.config` check the
same values with the same rules, so a learning rate of 0 fails the same way
from YAML and from Python. Only the name shown differs
(`training.learning_rate` in a config, `learning_rate` in a call). No
TensorFlow here: the CLI reports config errors before importing it.
"""

import math
import numbers

from kerasft.errors import ConfigError


def _number(value, name):
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise ConfigError(f"{name} must be a number. Received: {name}={value!r}.")
    try:
        number = float(value)  # YAML 1.1 reads "1e-3" as a string
    except ValueError:
        raise ConfigError(f"{name} must be a number. Received: {name}={value!r}.") from None
    if not math.isfinite(number):
        raise ConfigError(f"{name} must be a finite number. Received: {name}={value!r}.")
    return number


def positive_number(value, name):
    """`value` as a float > 0 (learning rates).

    Raises:
        ConfigError: not a finite number, or <= 0.
    """
    number = _number(value, name)
    if number <= 0:
        raise ConfigError(
            f"{name} must be > 0. Received: {name}={value!r}. A rate of 0 trains "
            "nothing; typical fine-tuning rates are 1e-5 to 1e-4.")
    return number


def non_negative_number(value, name):
    """`value` as a float >= 0 (weight decay, l2).

    Raises:
        ConfigError: not a finite number, or < 0.
    """
    number = _number(value, name)
    if number < 0:
        raise ConfigError(f"{name} must be >= 0. Received: {name}={value!r}.")
    return number


def fraction(value, name):
    """`value` as a float in [0, 1) (warmup ratio, split fractions).

    Raises:
        ConfigError: not a finite number, or outside [0, 1).
    """
    number = _number(value, name)
    if not 0 <= number < 1:
        raise ConfigError(f"{name} must be in [0, 1). Received: {name}={value!r}.")
    return number


def positive_int(value, name):
    """`value` as an int >= 1 (epochs, batch size).

    Raises:
        ConfigError: not an integer (bools and floats are refused), or < 1.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigError(
            f"{name} must be a positive integer. Received: {name}={value!r}.")
    return int(value)


PRECISIONS = ("auto", "float32", "mixed_bfloat16", "mixed_float16")


def precision(value, name="precision"):
    """`value` if it is one of `PRECISIONS` (see `kerasft.training.precision`).

    Raises:
        ConfigError: any other value, naming `name` and the valid values.
    """
    if not isinstance(value, str) or value not in PRECISIONS:
        raise ConfigError(
            f"Unknown precision. Received: {name}={value!r}. Known: "
            f"{', '.join(PRECISIONS)} (float32 turns mixed precision off)."
        )
    return value
