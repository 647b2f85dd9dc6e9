"""Look-alike email addresses: the Unicode confusable skeleton of UTS #39.

``раypal@example.org`` with a Cyrillic ``р`` and ``а`` reads as ``paypal@example.org``; so do
``ｐaypal@…`` (fullwidth) and ``𝐩aypal@…`` (mathematical bold). Registration refuses an
address whose skeleton is that of an address already registered, so nobody can pass for a
neighbour, a moderator or an official in e-mail, notices or exports.

The skeleton follows UTS #39 section 4: NFKC and case folding first (addresses are compared
case-insensitively and compatibility forms collapse), then NFD, each character replaced by the
representative of its confusable class, NFD again. The classes come from Unicode's
confusables data as the ``confusable_homoglyphs`` package ships it: it lists, for each
character, the characters it can be confused with; characters linked that way form one class
(represented by its lowest code point). A class whose members are also confusable with a
sequence of ASCII characters (``m`` with ``rn``) is represented by that sequence, so such
pairs meet too. Plain ASCII letters of different classes stay apart (``b0b`` and ``bob`` do
not meet: ``0`` and ``o`` are distinct in UTS #39 as well).
"""
from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from importlib import resources

_BIDI_MARKS = "\u200e\u200f"


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Character → the representative of its confusable class (built once, ~10k entries)."""
    data = json.loads(resources.files("confusable_homoglyphs")
                      .joinpath("confusables.json").read_text(encoding="utf-8"))
    parent: dict[str, str] = {}

    def find(ch: str) -> str:
        root = ch
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(ch, ch) != root:  # path compression
            parent[ch], ch = root, parent[ch]
        return root

    sequences: dict[str, set[str]] = {}
    for ch, homoglyphs in data.items():
        for item in homoglyphs:
            other = item["c"].strip(_BIDI_MARKS)
            if len(other) == 1:
                a, b = find(ch), find(other)
                if a != b:
                    low, high = sorted((a, b))
                    parent[high] = low
            elif other and other.isascii():
                sequences.setdefault(ch, set()).add(other)
    by_class: dict[str, set[str]] = {}
    for ch, found in sequences.items():
        by_class.setdefault(find(ch), set()).update(found)
    mapping = {}
    for ch in set(parent) | set(data) | set(sequences):
        root = find(ch)
        mapping[ch] = min(by_class[root]) if root in by_class else root
    return {ch: rep for ch, rep in mapping.items() if rep != ch}


def skeleton(text: str) -> str:
    """The confusable skeleton of ``text``: two strings that look alike have the same one."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    prototypes = _prototypes()
    mapped = "".join(prototypes.get(ch, ch) for ch in unicodedata.normalize("NFD", folded))
    return unicodedata.normalize("NFD", mapped)
