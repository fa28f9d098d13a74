"""Runs each exported artifact the way its deployment runtime does.

Every runner answers `predict(features)` (dict of int32 `[n, length]`
arrays -> dict of output name -> numpy array) and `run_one(i)` for latency;
the SavedModel runner takes raw strings through its `serving_default`
signature, so its numbers include the in-graph tokenizer, and the MediaPipe
runner takes raw strings through MediaPipe Tasks' TextClassifier.
"""

import os
import time

import numpy as np


def _threads():
    return os.cpu_count() or 1


def latency_ms(call, inputs, repeats=None, warmup=2):
    """p50 and p95 milliseconds of `call(x)` over `inputs` (batch 1)."""
    inputs = list(inputs)[:repeats] if repeats else list(inputs)
    for x in inputs[:warmup]:
        call(x)
    times = []
    for x in inputs:
        start = time.perf_counter()
        call(x)
        times.append((time.perf_counter() - start) * 1000.0)
    return {"latency_ms_p50": float(np.percentile(times, 50)),
            "latency_ms_p95": float(np.percentile(times, 95))}


def _rows(features, i):
    return {k: v[i:i + 1] for k, v in features.items()}


class KerasRunner:
    """The reference: the Keras model under one `tf.function`."""

    def __init__(self, model, spec):
        import tensorflow as tf

        self.spec = spec
        self._fn = tf.function(lambda x: spec.named_outputs(model(x, training=False)),
                               reduce_retracing=True)

    def predict(self, features, batch_size=32):
        n = len(next(iter(features.values())))
        parts = [self._fn({k: v[i:i + batch_size] for k, v in features.items()})
                 for i in range(0, n, batch_size)]
        return {name: np.concatenate([p[name].numpy() for p in parts])
                for name in self.spec.output_names}

    def latency(self, features, repeats):
        n = len(next(iter(features.values())))
        return latency_ms(lambda i: self._fn(_rows(features, i)), range(n), repeats)


class SavedModelRunner:
    """`tf.saved_model.load` + `serving_default`: raw strings when the
    signature takes `text` (in-graph tokenizer), else the model's ids."""

    def __init__(self, directory, spec):
        import tensorflow as tf
        import tensorflow_text  # noqa: F401  (registers the tokenizer ops)

        self.spec = spec
        self._tf = tf
        self._loaded = tf.saved_model.load(directory)
        self._fn = self._loaded.signatures["serving_default"]
        self.takes_text = "text" in self._fn.structured_input_signature[1]
        self._ids_fn = self._loaded.signatures.get("serving_ids", self._fn)

    def predict_texts(self, texts, batch_size=32):
        tf = self._tf
        parts = [self._fn(text=tf.constant(list(texts[i:i + batch_size])))
                 for i in range(0, len(texts), batch_size)]
        return {name: np.concatenate([p[name].numpy() for p in parts])
                for name in self.spec.output_names}

    def _ids(self, features):
        return self._ids_fn(**{k: self._tf.constant(v) for k, v in features.items()})

    def predict(self, features, batch_size=32):
        n = len(next(iter(features.values())))
        parts = [self._ids({k: v[i:i + batch_size] for k, v in features.items()})
                 for i in range(0, n, batch_size)]
        return {name: np.concatenate([p[name].numpy() for p in parts])
                for name in self.spec.output_names}

    def latency(self, texts_or_features, repeats):
        if isinstance(texts_or_features, dict):
            features = texts_or_features
            n = len(next(iter(features.values())))
            return latency_ms(lambda i: self._ids(_rows(features, i)), range(n), repeats)
        tf = self._tf
        return latency_ms(lambda t: self._fn(text=tf.constant([t])), texts_or_features, repeats)


class TFLiteRunner:
    """`ai_edge_litert` interpreter on the fixed `[batch, sequence]` inputs."""

    def __init__(self, path, spec):
        from ai_edge_litert.interpreter import Interpreter

        self.spec = spec
        self._interpreter = Interpreter(model_path=path, num_threads=_threads())
        self._run = self._interpreter.get_signature_runner("serving_default")
        details = self._run.get_input_details()
        first = details[spec.input_names[0]]["shape"]
        self.batch_size, self.length = int(first[0]), int(first[1])
        self._scales = {}  # integer outputs (int8_strict): name -> (scale, zero point)
        for name, detail in self._run.get_output_details().items():
            if np.dtype(detail["dtype"]).kind in "iu":
                scale, zero = detail["quantization"]
                if scale:
                    self._scales[name] = (float(scale), int(zero))

    def _dequantize(self, out):
        return {name: (out[name].astype("float32") - self._scales[name][1])
                * self._scales[name][0] if name in self._scales else out[name]
                for name in self.spec.output_names}

    def _pad(self, features):
        out = {}
        for k, v in features.items():
            pad = self.spec.tokenizer.pad_token_id if k == "token_ids" else 0
            padded = np.full((len(v), self.length), pad, dtype="int32")
            padded[:, :min(v.shape[1], self.length)] = v[:, :self.length]
            out[k] = padded
        return out

    def predict(self, features):
        features = self._pad(features)
        n = len(next(iter(features.values())))
        parts = []
        for i in range(0, n, self.batch_size):
            chunk = {k: v[i:i + self.batch_size] for k, v in features.items()}
            rows = len(next(iter(chunk.values())))
            if rows < self.batch_size:
                chunk = {k: np.concatenate([v, np.repeat(v[-1:], self.batch_size - rows, 0)])
                         for k, v in chunk.items()}
            out = self._dequantize(self._run(**chunk))
            parts.append({name: out[name][:rows] for name in self.spec.output_names})
        return {name: np.concatenate([p[name] for p in parts]) for name in self.spec.output_names}

    def latency(self, features, repeats):
        features = self._pad(features)
        n = len(next(iter(features.values())))
        batch = self.batch_size
        return latency_ms(lambda i: self._run(**{k: np.repeat(v[i:i + 1], batch, 0)
                                                 for k, v in features.items()}),
                          range(n), repeats)


class OnnxRunner:
    """ONNX Runtime CPU session on dynamic-shape inputs."""

    def __init__(self, path, spec):
        import onnxruntime as ort

        self.spec = spec
        options = ort.SessionOptions()
        options.intra_op_num_threads = _threads()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]

    def predict(self, features, batch_size=32):
        n = len(next(iter(features.values())))
        parts = []
        for i in range(0, n, batch_size):
            out = self._session.run(self.spec.output_names,
                                    {k: features[k][i:i + batch_size] for k in self._inputs})
            parts.append(dict(zip(self.spec.output_names, out)))
        return {name: np.concatenate([p[name] for p in parts]) for name in self.spec.output_names}

    def latency(self, features, repeats):
        n = len(next(iter(features.values())))
        return latency_ms(lambda i: self._session.run(
            self.spec.output_names, {k: features[k][i:i + 1] for k in self._inputs}),
            range(n), repeats)


class MediaPipeRunner:
    """MediaPipe Tasks' TextClassifier on raw strings (the mobile contract)."""

    def __init__(self, path, spec):
        from mediapipe.tasks.python.core import base_options
        from mediapipe.tasks.python.text import text_classifier

        self.spec = spec
        options = text_classifier.TextClassifierOptions(
            base_options=base_options.BaseOptions(model_asset_path=path))
        self._classifier = text_classifier.TextClassifier.create_from_options(options)

    def classify(self, text):
        result = self._classifier.classify(text)
        scores = np.zeros(len(self.spec.labels), dtype="float32")
        for category in result.classifications[0].categories:
            scores[category.index] = category.score
        return scores

    def predict_texts(self, texts):
        return {self.spec.output_names[0]: np.stack([self.classify(t) for t in texts])}

    def latency(self, texts, repeats):
        return latency_ms(self.classify, texts, repeats)

    def close(self):
        self._classifier.close()


class MediaPipeEmbedderRunner:
    """MediaPipe Tasks' TextEmbedder on raw strings (the mobile contract of
    a `TextEmbedder` export): the float embedding, as the model outputs it
    (MediaPipe's own L2 normalization off)."""

    def __init__(self, path, spec):
        from mediapipe.tasks.python.core import base_options
        from mediapipe.tasks.python.text import text_embedder

        self.spec = spec
        options = text_embedder.TextEmbedderOptions(
            base_options=base_options.BaseOptions(model_asset_path=path),
            l2_normalize=False, quantize=False)
        self._embedder = text_embedder.TextEmbedder.create_from_options(options)

    def embed(self, text):
        result = self._embedder.embed(text)
        return np.asarray(result.embeddings[0].embedding, dtype="float32")

    def predict_texts(self, texts):
        return {self.spec.output_names[0]: np.stack([self.embed(t) for t in texts])}

    def latency(self, texts, repeats):
        return latency_ms(self.embed, texts, repeats)

    def close(self):
        self._embedder.close()
