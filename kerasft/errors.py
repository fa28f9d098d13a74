"""Errors raised by kerasft.

Every library error is a `ValueError` subclass so that code written against
plain Keras (`except ValueError`) keeps working. Messages follow one shape:
what was expected, `Received: name=value`, and what to do about it.
"""


class KerasftError(ValueError):
    """Base class of all kerasft errors."""


class DataError(KerasftError):
    """Input data is missing, malformed or inconsistent (names file and row)."""


class CheckpointError(KerasftError):
    """A checkpoint or preset cannot be found, read or understood."""


class ConfigError(KerasftError):
    """A configuration value is unknown or out of range."""


class ExportError(KerasftError):
    """An export could not be written or converted."""


class ParityError(ExportError):
    """An exported artifact does not answer like the Keras model."""


class NonFiniteError(KerasftError):
    """Weights or a loss hold NaN or infinite values."""


class NonFiniteLossError(NonFiniteError):
    """Training produced a NaN or infinite loss (names epoch and step)."""
