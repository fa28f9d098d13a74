"""SQuAD v1.1 / v2.0 JSON -> `SquadData`, checked record by record.

Errors name the file, the article title and the question id, and say how to
fix the record. Every answer must sit at its `answer_start` offset in the
context; in v1.1 files every question needs an answer; v2.0 questions marked
`is_impossible` carry none (their `plausible_answers` are kept, checked the
same way, and not used for training).
"""

import dataclasses
import json
import os

import numpy as np

from kerasft.data.readers import _decode
from kerasft.errors import DataError

VERSIONS = ("1.1", "2.0")


@dataclasses.dataclass(frozen=True)
class SquadData:
    """Questions with their contexts and gold answers.

    Args:
        ids: list of str. Question ids.
        titles: list of str. Article title of each question.
        questions: list of str.
        contexts: list of str. The paragraph each question is about.
        answers: list of lists of `{"text": str, "answer_start": int}`;
            empty for unanswerable (v2.0) or unlabelled questions.
        is_impossible: list of bool. True for v2.0 unanswerable questions.
        plausible_answers: list of lists of answers (v2.0), else empty lists.
        version: str. `"1.1"` or `"2.0"`.
        source: str. Where the data came from, for messages.
    """

    ids: list
    titles: list
    questions: list
    contexts: list
    answers: list
    is_impossible: list
    plausible_answers: list
    version: str = "1.1"
    source: str = "<memory>"

    def __len__(self):
        return len(self.questions)

    @property
    def inputs(self):
        """`(questions, contexts)`, what `QuestionAnswerer.fit` takes as `x`."""
        return self.questions, self.contexts

    @property
    def has_impossible(self):
        return any(self.is_impossible)

    def subset(self, indices):
        """A `SquadData` holding the questions at `indices`, in that order."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name, values in fields.items():
            if isinstance(values, list):
                fields[name] = [values[i] for i in indices]
        return SquadData(**fields)


def _where(path, title, qid=None):
    text = f"{path}, article {title!r}"
    return text if qid is None else f"{text}, question id {qid!r}"


def _check_answers(answers, context, where, field):
    if not isinstance(answers, list):
        raise DataError(
            f"Expected `{field}` to be a list of {{'text', 'answer_start'}} objects in "
            f"{where}. Received: {field}={answers!r}. Fix the record."
        )
    checked = []
    for answer in answers:
        text = answer.get("text") if isinstance(answer, dict) else None
        start = answer.get("answer_start") if isinstance(answer, dict) else None
        if not isinstance(text, str) or not text.strip() or not isinstance(start, int) \
                or isinstance(start, bool):
            raise DataError(
                f"Expected each of `{field}` to hold a non-empty 'text' and an "
                f"integer 'answer_start' in {where}. Received: {answer!r}. Fix the record."
            )
        found = context[start:start + len(text)] if start >= 0 else context[:0]
        if found != text:
            raise DataError(
                f"Expected the answer text at its answer_start offset in the context "
                f"({where}). Received: text={text!r}, answer_start={start}, but the "
                f"context holds {found!r} there. Fix answer_start (character offset "
                "into the context, counted from 0)."
            )
        checked.append({"text": text, "answer_start": start})
    return checked


def _load_json(path, encoding):
    if not os.path.isfile(path):
        raise DataError(
            f"Expected an existing SQuAD JSON file. Received: path={path!r}, which "
            f"does not exist. Check the path (relative paths start at {os.getcwd()})."
        )
    text = _decode(path, encoding)  # a BOM is dropped; bad bytes name the line
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise DataError(
            f"Could not parse {path} as JSON: {e.msg} at line {e.lineno}, column "
            f"{e.colno}. Expected a SQuAD file ({{'version', 'data': [articles]}}). "
            "Fix the JSON syntax there."
        ) from e
    except RecursionError as e:
        raise DataError(
            f"Could not parse {path} as JSON: lists or objects nested too deeply "
            f"(line 1 onwards). Expected a SQuAD file ({{'version', 'data': "
            "[articles]}}), nested a few levels. Fix the file."
        ) from e
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        found = sorted(document) if isinstance(document, dict) else type(document).__name__
        raise DataError(
            f"Expected a SQuAD file: a JSON object with a 'data' list of articles. "
            f"Received: {path} holding {found}. Convert the data to the SQuAD layout."
        )
    return document


def _detect_version(document, version, path):
    if version is not None:
        version = str(version).lstrip("v")
        if version not in VERSIONS:
            raise ValueError(
                f"Expected a SQuAD version in {VERSIONS}. Received: version={version!r}."
            )
        return version
    declared = str(document.get("version", "")).lstrip("v")
    if declared.startswith("2"):
        return "2.0"
    for article in document["data"]:
        for paragraph in (article.get("paragraphs") or []) if isinstance(article, dict) else []:
            for qa in (paragraph.get("qas") or []) if isinstance(paragraph, dict) else []:
                if isinstance(qa, dict) and "is_impossible" in qa:
                    return "2.0"
    return "1.1"


def read_squad(path, version=None, require_answers=True, encoding="utf-8"):
    """Reads a SQuAD v1.1 or v2.0 JSON file.

    Args:
        path: str or path. The JSON file.
        version: `"1.1"`, `"2.0"` or None. None reads the file's `version`
            field, and takes 2.0 when any question has `is_impossible`.
        require_answers: bool. Whether answerable questions must carry an
            answer (False for unlabelled data to predict on). Defaults to True.
        encoding: str. Defaults to `"utf-8"`.

    Returns:
        `SquadData`.

    Raises:
        DataError: a missing file, malformed JSON, a missing field, an
            answer that is not at its `answer_start`, a v1.1 question
            without answers, or a v2.0 question whose answers contradict
            `is_impossible`. The message names file, article and question id.
    """
    path = os.fspath(path)
    document = _load_json(path, encoding)
    version = _detect_version(document, version, path)
    rows = {f.name: [] for f in dataclasses.fields(SquadData) if f.name not in
            ("version", "source")}
    for a, article in enumerate(document["data"]):
        title = article.get("title", f"#{a}") if isinstance(article, dict) else f"#{a}"
        paragraphs = article.get("paragraphs") if isinstance(article, dict) else None
        if not isinstance(paragraphs, list):
            raise DataError(
                f"Expected a 'paragraphs' list in {_where(path, title)} (article "
                f"#{a}). Received: paragraphs={paragraphs!r}. Fix the record."
            )
        for p, paragraph in enumerate(paragraphs):
            context = paragraph.get("context") if isinstance(paragraph, dict) else None
            qas = paragraph.get("qas") if isinstance(paragraph, dict) else None
            if not isinstance(context, str) or not context.strip() or not isinstance(qas, list):
                raise DataError(
                    f"Expected a non-empty 'context' string and a 'qas' list in "
                    f"{_where(path, title)}, paragraph #{p}. Received: "
                    f"context={str(context)[:60]!r}, qas of type {type(qas).__name__}. "
                    "Fix the record."
                )
            for q, qa in enumerate(qas):
                qid = qa.get("id", f"#{p}.{q}") if isinstance(qa, dict) else f"#{p}.{q}"
                where = _where(path, title, qid)
                question = qa.get("question") if isinstance(qa, dict) else None
                if not isinstance(question, str) or not question.strip():
                    raise DataError(
                        f"Expected a non-empty 'question' string in {where}. Received: "
                        f"question={question!r}. Fill it in or drop the record."
                    )
                answers = _check_answers(qa.get("answers", []), context, where, "answers")
                plausible = _check_answers(qa.get("plausible_answers", []), context, where,
                                           "plausible_answers")
                impossible = qa.get("is_impossible", False)
                if not isinstance(impossible, bool):
                    raise DataError(
                        f"Expected `is_impossible` to be true or false in {where}. "
                        f"Received: is_impossible={impossible!r}. Write a JSON boolean "
                        "(true, not \"true\" or 1)."
                    )
                if version == "1.1" and require_answers and not answers:
                    raise DataError(
                        f"Expected at least one answer per question in a SQuAD v1.1 file "
                        f"({where}). Received: answers=[]. Add the answer, or mark the file "
                        "as v2.0 (\"version\": \"v2.0\", \"is_impossible\": true) if the "
                        "question has none."
                    )
                if version == "2.0" and impossible and answers:
                    raise DataError(
                        f"Expected no 'answers' for an is_impossible question ({where}). "
                        f"Received: answers={answers!r}. Move them to "
                        "'plausible_answers' or set is_impossible to false."
                    )
                if version == "2.0" and require_answers and not impossible and not answers:
                    raise DataError(
                        f"Expected answers for a question not marked is_impossible "
                        f"({where}). Received: answers=[]. Add the answer or set "
                        "is_impossible to true."
                    )
                for name, value in (("ids", str(qid)), ("titles", str(title)),
                                    ("questions", question), ("contexts", context),
                                    ("answers", answers), ("is_impossible", impossible),
                                    ("plausible_answers", plausible)):
                    rows[name].append(value)
    if not rows["questions"]:
        raise DataError(
            f"Expected at least one question in {path}. Received: 0 questions. "
            "Check that the file is the one you meant."
        )
    return SquadData(**rows, version=version, source=path)


def split_squad(data, test_size, seed=None):
    """Splits by article (then by context), so no paragraph is in both parts.

    Args:
        data: `SquadData`.
        test_size: float in (0, 1). Fraction of the questions, roughly,
            that go to the second part.
        seed: int or None.

    Returns:
        `(rest, part)`, two `SquadData`.

    Raises:
        DataError: the data has a single context, which cannot be split
            without putting the same paragraph on both sides.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"Expected test_size in (0, 1). Received: test_size={test_size!r}.")
    for key in (data.titles, data.contexts):
        groups = list(dict.fromkeys(key))
        if len(groups) >= 2:
            break
    else:
        raise DataError(
            f"Expected at least two contexts to split {data.source} without leaking "
            "a paragraph into both parts. Received: one context. Pass separate "
            "validation/test files instead."
        )
    order = np.random.RandomState(seed).permutation(len(groups))
    sizes = {}
    for g in key:
        sizes[g] = sizes.get(g, 0) + 1
    target, taken, part_groups = test_size * len(data), 0, set()
    for i in order:
        group = groups[i]
        if taken >= target or len(part_groups) == len(groups) - 1:
            break
        part_groups.add(group)
        taken += sizes[group]
    rest = [i for i, g in enumerate(key) if g not in part_groups]
    part = [i for i, g in enumerate(key) if g in part_groups]
    return data.subset(rest), data.subset(part)
