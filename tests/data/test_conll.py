
import pytest

from kerasft.data.conll import TagLists, read_conll, split_token_data, token_data
from kerasft.errors import DataError

SAMPLE = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O
. . O O

Peter NNP B-NP B-PER
Blackburn NNP B-NP I-PER


-DOCSTART- -X- -X- O
BRUSSELS NNP B-NP B-LOC
"""


def write(tmp_path, text, name="data.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_reads_sentences_tags_and_lines(tmp_path):
    path = write(tmp_path, SAMPLE)
    data = read_conll(path)
    assert data.tokens == [["EU", "rejects", "German", "call", "."],
                           ["Peter", "Blackburn"], ["BRUSSELS"]]
    assert data.tags == [["B-ORG", "O", "B-MISC", "O", "O"], ["B-PER", "I-PER"], ["B-LOC"]]
    assert data.tags.lines == [[3, 4, 5, 6, 7], [9, 10], [14]]
    assert data.tags.where(1, 1) == f"{path}, line 10"
    assert len(data) == 3 and data.source == path


def test_configurable_columns(tmp_path):
    path = write(tmp_path, SAMPLE)
    chunks = read_conll(path, tag_column=2)
    assert chunks.tags[0] == ["B-NP", "B-VP", "B-NP", "I-NP", "O"]
    pos = read_conll(path, token_column=1, require_tags=False)
    assert pos.tokens[0] == ["NNP", "VBZ", "JJ", "NN", "."] and pos.tags is None


def test_tab_delimiter_keeps_spaces_in_tokens(tmp_path):
    path = write(tmp_path, "New York\tB-LOC\nis\tO\n")
    data = read_conll(path, delimiter="\t")
    assert data.tokens == [["New York", "is"]]


@pytest.mark.parametrize("scheme,tags", [
    ("iob1", ["I-PER", "I-PER", "O", "I-LOC", "B-LOC"]),
    ("bioes", ["B-PER", "E-PER", "O", "S-LOC", "S-LOC"]),
    ("auto", ["I-PER", "I-PER", "O", "S-LOC", "U-LOC"]),
])
def test_schemes_are_normalized_to_iob2(tmp_path, scheme, tags):
    words = ["Peter", "Blackburn", "in", "Paris", "Lyon"]
    path = write(tmp_path, "".join(f"{w} {t}\n" for w, t in zip(words, tags)))
    assert read_conll(path, scheme=scheme).tags == [["B-PER", "I-PER", "O", "B-LOC", "B-LOC"]]


def test_malformed_lines_name_file_and_line(tmp_path):
    path = write(tmp_path, "EU NNP B-ORG\nrejects O\n")
    with pytest.raises(DataError, match=r"Expected 3 columns.*data.txt, line 2: 'rejects O'"):
        read_conll(path)
    path = write(tmp_path, "EU\nrejects\n", "tokens.txt")
    with pytest.raises(DataError, match=r"separate token and tag columns.*tokens.txt, line 1"):
        read_conll(path)
    assert read_conll(path, require_tags=False).tokens == [["EU", "rejects"]]
    path = write(tmp_path, "EU B-ORG\n", "two.txt")
    with pytest.raises(DataError, match=r"tag column at index 5.*two.txt, line 1"):
        read_conll(path, tag_column=5)
    path = write(tmp_path, "EU B-ORG\n\nPeter PERSON\n", "bad_tag.txt")
    with pytest.raises(DataError, match=r"tag='PERSON' at .*bad_tag.txt, line 3"):
        read_conll(path)
    path = write(tmp_path, "EU S-ORG\n", "bioes.txt")
    with pytest.raises(DataError, match=r"tag='S-ORG' at .*bioes.txt, line 1"):
        read_conll(path, scheme="iob2")


def test_empty_and_missing_files(tmp_path):
    path = write(tmp_path, "-DOCSTART- O\n\n\n")
    with pytest.raises(DataError, match=r"Received: no tokens"):
        read_conll(path)
    with pytest.raises(DataError, match="does not exist"):
        read_conll(str(tmp_path / "nope.txt"))


def test_token_data_from_lists():
    data = token_data([["Peter", "runs"], ("in", "Paris")],
                      [["I-PER", "O"], ["O", "S-LOC"]])
    assert data.tokens == [["Peter", "runs"], ["in", "Paris"]]
    assert data.tags == [["B-PER", "O"], ["O", "B-LOC"]]
    assert token_data([["a"]]).tags is None


def test_token_data_errors():
    with pytest.raises(DataError, match=r"2 tokens and 1 tags in sentence 1 \(at y\[1\]\[0\]"):
        token_data([["a"], ["b", "c"]], [["O"], ["O"]])
    with pytest.raises(DataError, match="2 sentences and 1 tag lists"):
        token_data([["a"], ["b"]], [["O"]])
    with pytest.raises(DataError, match=r"list of tokens. Received: x\[0\]='Peter runs'"):
        token_data(["Peter runs"])
    with pytest.raises(DataError, match=r"empty sentence at x\[1\]"):
        token_data([["a"], []])
    with pytest.raises(DataError, match=r"x\[0\]\[1\]=' '"):
        token_data([["a", " "]])
    with pytest.raises(DataError, match="non-empty list of token lists"):
        token_data([])
    with pytest.raises(DataError, match=r"tag='X' at y\[0\]\[0\]"):
        token_data([["a"]], [["X"]])


def test_located_tags_keep_file_lines_in_errors():
    tags = TagLists([["O", "B-PER"], ["O"]], "train.txt", [[3, 4], [6]])
    with pytest.raises(DataError, match=r"1 tokens and 2 tags in sentence 0 \(at train.txt, line 3"):
        token_data([["a"], ["b"]], tags)
    data = token_data([["a", "b"], ["c"]], tags)
    assert data.tags.where(0, 1) == "train.txt, line 4"


def test_split_is_seeded_and_disjoint(tmp_path):
    data = read_conll(write(tmp_path, "".join(f"w{i} O\n\n" for i in range(20))))
    train, held = split_token_data(data, 0.25, seed=3)
    again, _ = split_token_data(data, 0.25, seed=3)
    assert len(held) == 5 and len(train) == 15 and train.tokens == again.tokens
    assert sorted(t[0] for t in train.tokens + held.tokens) == sorted(t[0] for t in data.tokens)
    i = data.tokens.index(held.tokens[0])
    assert held.tags.lines[0] == data.tags.lines[i]
    with pytest.raises(ValueError, match="fraction=1.0 for 20 sentences"):
        split_token_data(data, 1.0)


def test_real_conll2003_counts(shared_data):
    train = read_conll(shared_data("conll2003", "train.txt"))
    assert len(train) == 14041
    assert sum(len(t) for t in train.tokens) == 203621
    assert sum(t == "B-PER" for tags in train.tags for t in tags) == 6600
