"""Photos sent with the portal's forms (filing an appeal, a rework request) and shown on an
appeal's page.

The pages use the same three steps as ``POST /api/v1/appeals/{id}/photos``
(:mod:`gateway.media_upload`, docs/media.md): ``self.media.store_photos`` checks, re-encodes
and stores every file (or refuses them all), ``intake.attach_photos`` records their metadata,
and what intake refuses is discarded again. What this module adds is the reader's side: each
refused file as a translated message beside the photo field (number, name as sent, why), and
an appeal's photos grouped by purpose for its page.
"""
from __future__ import annotations

import logging

from gateway.http import Problem
from gateway.media_upload import PhotoRejected
from gateway.rest.photos import photos_of

from .pages import N_

log = logging.getLogger(__name__)

FILE_MESSAGES = {
    "empty": N_("Photo %(number)s (%(name)s) is empty."),
    "too_large": N_("Photo %(number)s (%(name)s) is larger than %(megabytes)s MB."),
    "unsupported_type": N_("Photo %(number)s (%(name)s) is not a JPEG, PNG or WebP image."),
    "corrupt": N_("Photo %(number)s (%(name)s) is damaged or incomplete and cannot be read."),
    "too_many_pixels": N_("Photo %(number)s (%(name)s) has too many pixels: at most "
                          "%(megapixels)s megapixels."),
}
FILE_REFUSED = N_("Photo %(number)s (%(name)s) cannot be added.")
TOO_MANY = N_("Choose at most %(count)s photos.")
NO_ROOM = N_("No more photos can be added here: at most %(count)s.")
STORAGE_DOWN = N_("The photos cannot be stored right now. Try again in a moment, or go on "
                  "without them.")

PURPOSE_TITLES = {"appeal": N_("Photos from the resident"),
                  "rework": N_("Photos with the rework request"),
                  "resolution": N_("Photos of the work done")}
PURPOSE_ALT = {"appeal": N_("Photo %(number)s of the problem"),
               "rework": N_("Photo %(number)s of what is still wrong"),
               "resolution": N_("Photo %(number)s of the work done")}


def phrase(text: str, **params) -> dict:
    """A message with values, for the error macros: ``_(text, **params)`` there (Jinja's
    gettext escapes the values; a file's name never becomes part of a format string)."""
    return {"text": text, "params": params}


def refused_files(rejected: PhotoRejected, limits) -> list[dict]:
    """One message per refused file, in form order."""
    messages = []
    for error in rejected.errors:
        messages.append(phrase(FILE_MESSAGES.get(error.code, FILE_REFUSED),
                               number=error.index + 1, name=error.filename or "—",
                               megabytes=limits.max_bytes // (1024 * 1024),
                               megapixels=limits.max_pixels // 1_000_000))
    return messages


def upload_errors(exc: Exception, limits) -> list[dict] | None:
    """The messages beside the photo field for what ``store_photos`` raised, or None when it
    is not about the files (the caller lets it through)."""
    if isinstance(exc, PhotoRejected):
        return refused_files(exc, limits)
    if isinstance(exc, Problem) and exc.status == 422:  # too many files
        return [phrase(TOO_MANY, count=limits.max_count)]
    return None


def photos_by_purpose(appeal: dict) -> dict[str, list[dict]]:
    """The appeal's photos with their URLs, by purpose (appeal, rework, resolution), oldest
    first; a purpose without photos is left out."""
    grouped: dict[str, list[dict]] = {}
    for photo in photos_of(appeal):
        grouped.setdefault(photo["purpose"], []).append(photo)
    return {purpose: grouped[purpose] for purpose in PURPOSE_TITLES if purpose in grouped}
