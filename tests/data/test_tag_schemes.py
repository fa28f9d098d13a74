import random

import pytest

from kerasft.data.tag_schemes import entity_types, from_iob2, iob2_tags, to_iob2
from kerasft.errors import DataError

IOB2 = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "B-ORG"]


def test_iob2_is_unchanged():
    assert to_iob2(IOB2) == IOB2
    assert to_iob2(IOB2, "iob2") == IOB2


def test_iob1_starts_entities_with_i():
    iob1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "O", "I-ORG"]
    assert to_iob2(iob1, "iob1") == IOB2
    assert to_iob2(iob1) == IOB2


def test_type_change_inside_i_run_starts_new_entity():
    assert to_iob2(["I-PER", "I-LOC", "I-LOC"]) == ["B-PER", "B-LOC", "I-LOC"]


def test_bioes_and_bilou():
    bioes = ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC", "O", "S-ORG"]
    assert to_iob2(bioes, "bioes") == IOB2
    bilou = ["B-PER", "L-PER", "O", "U-LOC", "B-LOC", "L-LOC", "O", "U-ORG"]
    assert to_iob2(bilou) == IOB2
    assert to_iob2(["B-X", "I-X", "I-X", "E-X"]) == ["B-X", "I-X", "I-X", "I-X"]


def test_from_iob2():
    assert from_iob2(IOB2, "bioes") == ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC",
                                         "O", "S-ORG"]
    assert from_iob2(IOB2, "iob1") == ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC",
                                        "O", "I-ORG"]
    assert from_iob2(IOB2, "iob2") == IOB2


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
def test_round_trip_on_random_sequences(scheme):
    rng = random.Random(0)
    for _ in range(300):
        tags = to_iob2([rng.choice(["O", "B-A", "I-A", "B-B", "I-B"]) for _ in range(12)])
        assert to_iob2(from_iob2(tags, scheme), scheme) == tags


def test_bad_tags_name_where():
    with pytest.raises(DataError, match=r"tag='PER' at tag index 1"):
        to_iob2(["O", "PER"])
    with pytest.raises(DataError, match=r"tag='B-' at f.txt, line 7"):
        to_iob2(["B-"], where=lambda i: "f.txt, line 7")
    with pytest.raises(DataError, match=r"\(B-/I-\).*iob2 scheme.*tag='S-PER'"):
        to_iob2(["S-PER"], "iob2")
    with pytest.raises(DataError, match="tag=3"):
        to_iob2([3])


def test_unknown_scheme():
    with pytest.raises(ValueError, match="Unknown tag scheme.*scheme='bilou2'"):
        to_iob2(["O"], "bilou2")
    with pytest.raises(ValueError, match="Known schemes: iob1, iob2, bioes"):
        from_iob2(["O"], "auto")


def test_types_and_tag_sets():
    assert entity_types([IOB2, ["O"]]) == ["LOC", "ORG", "PER"]
    assert iob2_tags(["LOC", "PER"]) == ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
