"""`TokenClassificationSpec`: how the exporter and the parity gate see NER."""

import re

import numpy as np

from kerasft.decoding import ner
from kerasft.errors import ExportError
from kerasft.export.spec import ExportSpec

_WORD = re.compile(r"\S+")


class TokenClassificationSpec(ExportSpec):
    """`ExportSpec` of a `TokenClassifier`: per-token `probabilities`
    `[n, sequence_length, num_tags]`, labels = the IOB2 tags.

    Parity (`compare`, inherited): top-1 agreement over the real tokens.
    Task metric (when the gate's texts come with labels): `token_f1`, the
    micro F1 over the entity tags (every tag but `O`) of each word's first
    sub-token. Labels are one IOB2 tag list per text, one tag per
    whitespace-separated word (CoNLL sentences joined by spaces);
    `align_labels` puts them on the token positions of `encode` once, and
    `metric` reads that alignment. Words cut off by `sequence_length` are not
    scored.
    """

    def __init__(self, input_names, tokenizer, sequence_length, tags, runner_config,
                 task_name="token_classifier"):
        super().__init__(input_names, ["probabilities"], tokenizer, sequence_length,
                         labels=tags, task_name=task_name, runner_config=runner_config,
                         decoding_module=ner.__file__, text_signature=False)

    def align_labels(self, texts, labels):
        """Tag lists per text -> int32 `[n, sequence_length]` tag ids at each
        word's first sub-token (as `encode` tokenizes the text), -100 elsewhere.

        Raises:
            ExportError: a text whose tag count is not its word count, or a
                tag that is not one of the model's.
        """
        if labels is None:
            return None
        index = {tag: i for i, tag in enumerate(self.labels)}
        texts = [str(t) for t in texts]
        enc = self.tokenizer.encode(texts, sequence_length=self.sequence_length,
                                    return_offsets=True)
        out = np.full((len(texts), self.sequence_length), ner.IGNORE_INDEX, dtype="int32")
        for row, (text, tags) in enumerate(zip(texts, labels)):
            starts = [m.start() for m in _WORD.finditer(text)]
            if isinstance(tags, str) or len(tags) != len(starts):
                raise ExportError(
                    f"Parity labels of a token classifier are one tag per word of the "
                    f"text (words split at spaces). Received: {tags!r} for the "
                    f"{len(starts)} words of text {row} ({text[:60]!r}).")
            unknown = [t for t in tags if str(t) not in index]
            if unknown:
                raise ExportError(
                    f"Parity tags must be among the model's tags {self.labels}. Received: "
                    f"{unknown[:5]} in text {row}. Convert them to IOB2 with "
                    "kerasft.data.to_iob2.")
            tag_at = dict(zip(starts, (index[str(t)] for t in tags)))
            for position, ((start, _), word) in enumerate(zip(enc["offsets"][row],
                                                             enc["word_ids"][row])):
                if word >= 0 and start in tag_at:
                    out[row, position] = tag_at.pop(start)  # first sub-token only
        return out

    def metric(self, outputs, labels):
        """`token_f1`: micro F1 over the entity tags at the labelled tokens
        (`labels` as `align_labels` returns them)."""
        if labels is None:
            return None
        from sklearn.metrics import f1_score

        truth = np.asarray(labels)
        if truth.dtype.kind not in "iu" or truth.ndim != 2:
            raise ExportError(
                "TokenClassificationSpec.metric reads labels aligned to tokens. Received: "
                f"labels of dtype {truth.dtype} and shape {truth.shape}. Pass them "
                "through `align_labels(texts, labels)` first.")
        predicted = np.asarray(outputs["probabilities"]).argmax(-1)[:, :truth.shape[1]]
        keep = truth >= 0
        entity_tags = [i for i, tag in enumerate(self.labels) if tag != "O"]
        return {"token_f1": float(f1_score(truth[keep], predicted[keep], labels=entity_tags,
                                           average="micro", zero_division=0))}
