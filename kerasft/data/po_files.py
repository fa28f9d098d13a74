"""Translation pairs from gettext `.po` files (Django's UI strings and others).

A small reader of the PO format: `msgctxt`, `msgid`, `msgid_plural`,
`msgstr` / `msgstr[N]`, multi-line strings (adjacent quoted strings are
joined), C escapes, `#,` flags (`fuzzy`) and obsolete `#~` entries (skipped).
Django ships its translations in its wheel, so `django_po_file("de")` gives
about 300 real English -> German pairs without a download.
"""

import dataclasses
import importlib.util
import os
import re

from kerasft.data.readers import _decode
from kerasft.errors import DataError

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b",
            "f": "\f", "v": "\v", "'": "'", "?": "?"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*)$')


@dataclasses.dataclass
class PoEntry:
    """One PO entry: source string, translations and flags.

    Attributes:
        msgid: str. The source (English) string.
        msgstr: list of str. Translations (one, or one per plural form).
        msgctxt: str or None. Disambiguating context.
        msgid_plural: str or None. Plural source string.
        flags: list of str. `#,` flags such as `fuzzy`, `python-format`.
        line: int. Line of the entry's `msgid` (1-based).
    """

    msgid: str = ""
    msgstr: list = dataclasses.field(default_factory=list)
    msgctxt: str = None
    msgid_plural: str = None
    flags: list = dataclasses.field(default_factory=list)
    line: int = 0

    @property
    def fuzzy(self):
        return "fuzzy" in self.flags


def _unquote(text, path, line):
    text = text.strip()
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise DataError(
            f"{path}, line {line}: expected a quoted string. Received: {text!r:.60}. "
            "Fix the PO file (msgmerge --check can help)."
        )
    body, out, i = text[1:-1], [], 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        nxt = body[i + 1:i + 2]
        if nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])
            i += 2
        elif re.match(r"[0-7]", nxt):  # octal escape, up to 3 digits
            digits = re.match(r"[0-7]{1,3}", body[i + 1:]).group(0)
            out.append(chr(int(digits, 8)))
            i += 1 + len(digits)
        else:
            raise DataError(
                f"{path}, line {line}: unknown escape. Received: \\{nxt!s} in {text!r:.60}."
            )
    return "".join(out)


def read_po(path, encoding="utf-8"):
    """Reads every entry of a `.po` file (the header entry included).

    Raises:
        DataError: the file is missing or malformed (names the line).
    """
    if not os.path.isfile(path):
        raise DataError(f"PO file not found. Received: {os.fspath(path)!r}.")
    # `_decode` drops a BOM and names the line of an invalid byte. Lines end
    # at "\n" only: U+2028, form feeds... are characters of the strings.
    lines = [line.removesuffix("\r") for line in _decode(path, encoding).split("\n")]
    entries, entry, field, flags = [], None, None, []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or (line.startswith("#") and not line.startswith("#,")):
            if not line and entry is not None:
                entries.append(entry)
                entry, field = None, None
            continue  # comments, references, obsolete (#~) entries
        if line.startswith("#,"):
            flags += [f.strip() for f in line[2:].split(",") if f.strip()]
            continue
        if line.startswith('"'):
            if entry is None or field is None:
                raise DataError(
                    f"{path}, line {number}: a continuation string without a keyword "
                    f"before it. Received: {line!r:.60}."
                )
            _append(entry, field, _unquote(line, path, number))
            continue
        match = _KEYWORD.match(line)
        if match is None:
            raise DataError(
                f"{path}, line {number}: expected msgctxt, msgid, msgid_plural or msgstr. "
                f"Received: {line!r:.60}."
            )
        keyword, index, value = match.groups()
        if keyword in ("msgctxt", "msgid") and entry is not None and entry.msgstr:
            entries.append(entry)
            entry = None
        if entry is None:
            entry, flags = PoEntry(flags=flags), []
        if keyword == "msgid":
            entry.line = number
        field = (keyword, int(index) if index is not None else 0)
        _set(entry, field, _unquote(value, path, number))
    if entry is not None:
        entries.append(entry)
    return entries


def _set(entry, field, value):
    keyword, index = field
    if keyword.startswith("msgstr"):
        while len(entry.msgstr) <= index:
            entry.msgstr.append("")
        entry.msgstr[index] = value
    else:
        setattr(entry, keyword, value)


def _append(entry, field, value):
    keyword, index = field
    if keyword.startswith("msgstr"):
        entry.msgstr[index] += value
    else:
        setattr(entry, keyword, (getattr(entry, keyword) or "") + value)


def read_po_pairs(path, plurals="first", include_fuzzy=False, encoding="utf-8"):
    """`(sources, targets)`: the translated strings of a `.po` file.

    Skipped: the header (empty msgid), untranslated entries (empty msgstr),
    fuzzy entries unless `include_fuzzy`, and plural entries when
    `plurals="skip"`; with `plurals="first"` a plural entry gives
    `(msgid, msgstr[0])`.

    Raises:
        DataError: see `read_po`; no translated entry in the file; or an
            unknown `plurals` value.
    """
    if plurals not in ("first", "skip"):
        raise DataError(f"`plurals` must be 'first' or 'skip'. Received: plurals={plurals!r}.")
    sources, targets = [], []
    for entry in read_po(path, encoding=encoding):
        if not entry.msgid or not entry.msgstr or not entry.msgstr[0].strip():
            continue
        if entry.fuzzy and not include_fuzzy:
            continue
        if entry.msgid_plural is not None and plurals == "skip":
            continue
        sources.append(entry.msgid)
        targets.append(entry.msgstr[0])
    if not sources:
        raise DataError(
            f"{path} holds no translated entry. Received a PO file with only a header, "
            "untranslated or fuzzy entries."
        )
    return sources, targets


def django_po_file(language="de", app=None, domain="django"):
    """Path of a `.po` file shipped in the installed Django.

    Args:
        language: str. Locale code (`"de"`, `"fr"`, `"pt_BR"`...).
        app: str or None. None for Django's core strings
            (`django/conf/locale`), or a contrib app (`"admin"`, `"auth"`...).
        domain: str. `"django"` or `"djangojs"`.

    Raises:
        ImportError: Django is not installed (`pip install django`).
        DataError: no such file in the installed Django.
    """
    spec = importlib.util.find_spec("django")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "Django's .po files come with the Django package. Install it with "
            "`pip install django`."
        )
    root = list(spec.submodule_search_locations)[0]
    base = os.path.join(root, "conf") if app is None else os.path.join(root, "contrib", app)
    path = os.path.join(base, "locale", language, "LC_MESSAGES", f"{domain}.po")
    if not os.path.isfile(path):
        raise DataError(
            f"The installed Django has no such .po file. Received: language={language!r}, "
            f"app={app!r}, domain={domain!r} (looked for {path}). Use a locale code such as "
            "'de' and an app of django.contrib."
        )
    return path
