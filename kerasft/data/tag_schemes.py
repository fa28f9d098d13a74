"""Entity tag schemes: IOB1, IOB2 (BIO) and BIOES (BILOU), normalized to IOB2.

kerasft works in IOB2 internally: `B-X` starts an entity of type `X`, `I-X`
continues it, `O` is outside any entity. Data in another scheme is converted
on the way in (`to_iob2`) and predictions can be converted on the way out
(`from_iob2`).

Conversion to IOB2 is one rule set for all schemes: `S-`/`U-` become `B-`,
`E-`/`L-` become `I-`, and an `I-X` that does not continue an entity of type
`X` starts one (`B-X`). That rule is exactly IOB1 -> IOB2, it leaves valid
IOB2 unchanged, and it repairs IOB2 with a stray `I-X` after `O` the way
conlleval and seqeval read it. So `scheme="auto"` needs no detection; an
explicit scheme only restricts which prefixes are accepted.
"""

from kerasft.errors import DataError

SCHEMES = ("auto", "iob1", "iob2", "bioes")
_PREFIXES = {"auto": "BIESLU", "iob1": "BI", "iob2": "BI", "bioes": "BIESLU"}
_TO_IOB2 = {"B": "B", "I": "I", "E": "I", "L": "I", "S": "B", "U": "B"}
OUTSIDE = "O"


def check_scheme(scheme, known=SCHEMES):
    """Returns `scheme` lower-cased if known, else raises `ValueError`."""
    key = str(scheme).lower()
    if key not in known:
        raise ValueError(
            f"Unknown tag scheme. Received: scheme={scheme!r}. Known schemes: "
            f"{', '.join(known)}."
        )
    return key


def split_tag(tag):
    """`"B-PER"` -> `("B", "PER")`; `"O"` -> `("O", None)`. No validation."""
    if tag == OUTSIDE:
        return OUTSIDE, None
    prefix, _, entity_type = tag.partition("-")
    return prefix, entity_type


def _bad_tag(tag, scheme, where):
    prefixes = "/".join(p + "-" for p in _PREFIXES[scheme])
    return DataError(
        f"Expected a tag that is 'O' or a prefix ({prefixes}) plus an entity type, "
        f"as in 'B-PER' ({scheme} scheme). Received: tag={tag!r} at {where}. Fix "
        "the tag, or pass the right `scheme` (iob1, iob2, bioes)."
    )


def to_iob2(tags, scheme="auto", where=None):
    """Converts one sentence's tags to IOB2.

    Args:
        tags: list of str. One tag per token.
        scheme: str. `"auto"` (any of IOB1, IOB2, BIOES/BILOU), `"iob1"`,
            `"iob2"` or `"bioes"`. Defaults to `"auto"`.
        where: callable or None. `where(i)` names token `i` in errors (for
            example `"train.txt, line 12"`). Defaults to `"tag index i"`.

    Returns:
        list of str: the IOB2 tags.

    Raises:
        DataError: a tag is not `O` or `<prefix>-<type>` with a prefix of
            the scheme.

    Example:

    >>> to_iob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC"])
    ['B-PER', 'I-PER', 'O', 'B-LOC', 'B-LOC']
    >>> to_iob2(["S-ORG", "B-PER", "E-PER"])
    ['B-ORG', 'B-PER', 'I-PER']
    """
    scheme = check_scheme(scheme)
    allowed = _PREFIXES[scheme]
    out = []
    previous_type = None
    for i, tag in enumerate(tags):
        if not isinstance(tag, str):
            raise _bad_tag(tag, scheme, where(i) if where else f"tag index {i}")
        prefix, entity_type = split_tag(tag.strip())
        if prefix == OUTSIDE:
            out.append(OUTSIDE)
            previous_type = None
            continue
        if prefix not in allowed or not entity_type:
            raise _bad_tag(tag, scheme, where(i) if where else f"tag index {i}")
        prefix = _TO_IOB2[prefix]
        if prefix == "I" and previous_type != entity_type:
            prefix = "B"
        out.append(f"{prefix}-{entity_type}")
        previous_type = entity_type
    return out


def from_iob2(tags, scheme):
    """Converts valid IOB2 tags (as `to_iob2` returns) to `scheme`.

    Args:
        tags: list of str. IOB2 tags of one sentence.
        scheme: str. `"iob1"`, `"iob2"` or `"bioes"`.

    Returns:
        list of str.

    Example:

    >>> from_iob2(["B-PER", "I-PER", "B-LOC", "O", "B-ORG"], "bioes")
    ['B-PER', 'E-PER', 'S-LOC', 'O', 'S-ORG']
    >>> from_iob2(["B-PER", "B-PER", "O", "B-LOC"], "iob1")
    ['I-PER', 'B-PER', 'O', 'I-LOC']
    """
    scheme = check_scheme(scheme, SCHEMES[1:])
    if scheme == "iob2":
        return list(tags)
    parts = [split_tag(t) for t in tags]
    out = []
    for i, (prefix, entity_type) in enumerate(parts):
        if prefix == OUTSIDE:
            out.append(OUTSIDE)
            continue
        if scheme == "iob1":
            previous = parts[i - 1] if i else (OUTSIDE, None)
            begins_after_same = prefix == "B" and previous[1] == entity_type
            out.append(f"{'B' if begins_after_same else 'I'}-{entity_type}")
            continue
        following = parts[i + 1] if i + 1 < len(parts) else (OUTSIDE, None)
        continues = following == ("I", entity_type)
        if prefix == "B":
            out.append(f"{'B' if continues else 'S'}-{entity_type}")
        else:
            out.append(f"{'I' if continues else 'E'}-{entity_type}")
    return out


def entity_types(tag_lists):
    """Sorted entity types found in IOB2 tag lists."""
    return sorted({split_tag(t)[1] for tags in tag_lists for t in tags if t != OUTSIDE})


def iob2_tags(types):
    """The IOB2 tag set of `types`: `["O", "B-T1", "I-T1", "B-T2", ...]`.

    Example:

    >>> iob2_tags(["LOC", "PER"])
    ['O', 'B-LOC', 'I-LOC', 'B-PER', 'I-PER']
    """
    return [OUTSIDE] + [f"{p}-{t}" for t in types for p in "BI"]
