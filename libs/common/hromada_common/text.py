"""Text that says something: a title or a reason must hold at least one visible character.

``str.strip()`` removes only whitespace; a title of zero-width spaces (U+200B), word joiners,
BOMs, soft hyphens, bidi marks, Hangul fillers or braille blanks passes it and shows as
nothing. :func:`has_visible_character` looks at Unicode categories instead.
"""
from __future__ import annotations

import unicodedata

from marshmallow import ValidationError

INVISIBLE_CATEGORIES = frozenset({
    "Cc", "Cf", "Cs", "Co", "Cn",  # controls, format (zero-width, bidi, BOM, tags), unassigned
    "Zs", "Zl", "Zp",              # spaces and separators
    "Mn", "Me",                    # combining marks with nothing to combine with show nothing
})
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
"""Letters and symbols fonts draw as blank: Hangul fillers, the braille blank, the Mongolian
vowel separator."""
INVISIBLE_MESSAGE = ("Must contain a visible character, not only spaces, zero-width or other "
                     "invisible characters.")


def has_visible_character(text: str) -> bool:
    return any(char not in BLANK_LOOKING and unicodedata.category(char) not in INVISIBLE_CATEGORIES
               for char in text)


def visible(text: str) -> None:
    """marshmallow validator: refuse text with nothing visible in it."""
    if not has_visible_character(text):
        raise ValidationError(INVISIBLE_MESSAGE)
