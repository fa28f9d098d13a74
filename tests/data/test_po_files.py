import pytest

from kerasft.data.po_files import django_po_file, read_po, read_po_pairs
from kerasft.errors import DataError

SAMPLE = r'''# Translators:
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Language: de\n"

#: forms.py:10
msgid "Save"
msgstr "Speichern"

#, python-format
msgid ""
"Ensure this value has at most %(limit)d "
"characters."
msgstr ""
"Bitte höchstens %(limit)d "
"Zeichen verwenden."

msgctxt "month name"
msgid "May"
msgstr "Mai"

#, fuzzy
msgid "Delete"
msgstr "Entfernen?"

msgid "Untranslated"
msgstr ""

msgid "%(count)d file"
msgid_plural "%(count)d files"
msgstr[0] "%(count)d Datei"
msgstr[1] "%(count)d Dateien"

msgid "Say \"hi\"\tnow\\n"
msgstr "Sag \"hallo\"\tjetzt\\n\101"

#~ msgid "Old"
#~ msgstr "Alt"
'''


@pytest.fixture
def po_path(tmp_path):
    path = tmp_path / "django.po"
    path.write_text(SAMPLE, encoding="utf-8")
    return path


def test_read_po_entries(po_path):
    entries = read_po(po_path)
    assert [e.msgid for e in entries] == [
        "", "Save", "Ensure this value has at most %(limit)d characters.", "May", "Delete",
        "Untranslated", "%(count)d file", 'Say "hi"\tnow\\n']
    header, save, multi, may, delete, untranslated, plural, escaped = entries
    assert "Language: de\n" in header.msgstr[0]
    assert save.msgstr == ["Speichern"] and save.line == 8
    assert multi.msgstr == ["Bitte höchstens %(limit)d Zeichen verwenden."]
    assert multi.flags == ["python-format"]
    assert may.msgctxt == "month name" and may.msgstr == ["Mai"]
    assert delete.fuzzy and not save.fuzzy
    assert untranslated.msgstr == [""]
    assert plural.msgid_plural == "%(count)d files"
    assert plural.msgstr == ["%(count)d Datei", "%(count)d Dateien"]
    assert escaped.msgstr == ['Sag "hallo"\tjetzt\\nA']


def test_read_po_pairs_skips_header_fuzzy_untranslated(po_path):
    sources, targets = read_po_pairs(po_path)
    assert sources == ["Save", "Ensure this value has at most %(limit)d characters.", "May",
                       "%(count)d file", 'Say "hi"\tnow\\n']
    assert targets[3] == "%(count)d Datei"
    sources, _ = read_po_pairs(po_path, plurals="skip", include_fuzzy=True)
    assert "Delete" in sources and "%(count)d file" not in sources


def test_po_errors(tmp_path, po_path):
    with pytest.raises(DataError, match="PO file not found"):
        read_po(tmp_path / "missing.po")
    bad = tmp_path / "bad.po"
    for text, match in [('msgid "a"\nmsgstr "b"\n\nmsgid "c"\nbogus "d"\n',
                         r"bad.po, line 5: expected msgctxt"),
                        ('msgid "a\nmsgstr "b"\n', r"line 1: expected a quoted string"),
                        ('"orphan"\n', r"line 1: a continuation string"),
                        ('msgid "a\\q"\nmsgstr "b"\n', r"unknown escape")]:
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(DataError, match=match):
            read_po(bad)
    bad.write_text('msgid ""\nmsgstr "Language: de\\n"\n', encoding="utf-8")
    with pytest.raises(DataError, match="no translated entry"):
        read_po_pairs(bad)
    with pytest.raises(DataError, match="plurals"):
        read_po_pairs(po_path, plurals="all")
    bad.write_bytes("msgid \"Grüße\"\nmsgstr \"x\"\n".encode("latin-1"))
    with pytest.raises(DataError, match="not valid utf-8"):
        read_po(bad)


def test_django_german_pairs():
    pytest.importorskip("django")
    path = django_po_file("de")
    assert path.endswith("conf/locale/de/LC_MESSAGES/django.po")
    sources, targets = read_po_pairs(path)
    assert len(sources) > 250
    pairs = dict(zip(sources, targets))
    assert pairs["German"] == "Deutsch"
    assert pairs["Enter a valid email address."].startswith("Bitte gültige E-Mail")
    assert all(s.strip() and t.strip() for s, t in zip(sources, targets))
    admin = django_po_file("de", app="admin")
    assert admin.endswith("contrib/admin/locale/de/LC_MESSAGES/django.po")
    assert "Log out" in read_po_pairs(admin)[0]
    with pytest.raises(DataError, match="no such .po file"):
        django_po_file("xx")
