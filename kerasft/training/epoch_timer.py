"""`EpochTimer`: wall time of each training epoch (a run's throughput)."""

import time

import keras


class EpochTimer(keras.callbacks.Callback):
    """Records wall time of each training epoch, validation excluded."""

    def on_train_begin(self, logs=None):
        self.epoch_seconds = []
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def _stop(self):
        if self._start is not None:
            self.epoch_seconds.append(time.perf_counter() - self._start)
            self._start = None

    def on_test_begin(self, logs=None):
        self._stop()  # validation runs at the end of each epoch

    def on_epoch_end(self, epoch, logs=None):
        self._stop()
