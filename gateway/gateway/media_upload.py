"""Photos as the gateway receives them: checked, re-encoded and stored here, at the edge.

Only metadata goes on to intake (key, type, sizes, sha256): bytes never cross RPC or the
broker. The API's upload route (:mod:`gateway.rest.photos`) and the portal's filing and
rework pages use the same three steps, so both refuse exactly the same files:

    photos = self.media.store_photos(request.files.getlist("photo"))   # or PhotoRejected
    try:
        self.intake_rpc.attach_photos(appeal_id, photos, purpose)
    except Exception:
        self.media.discard(photos)          # nothing half-stored
        raise

(``self.media`` is the :class:`MediaStore` dependency every gateway worker has.)
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from eventlet import tpool
from eventlet.semaphore import Semaphore
from hromada_common.errors import Unavailable
from hromada_common.media import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageRejected,
    Storage,
    StoredObject,
    process_image,
    storage_from_config,
)
from nameko.extensions import DependencyProvider

from gateway.http import Problem

log = logging.getLogger(__name__)

PHOTO_FIELD = "photo"
MAX_PHOTOS = 5
"""Photos per appeal and purpose (intake enforces it; the gateway refuses more early)."""
FORM_OVERHEAD_BYTES = 1024 * 1024
"""Room for the multipart boundaries, headers and the ``purpose`` field."""
PHOTO_KEY_PATTERN = r"photos/[0-9a-f]{2}/[0-9a-f]{32}(?:\.thumb)?\.(?:jpg|png|webp)"
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}

_decoding = Semaphore(2)
"""At most two images are decoded at once per gateway process: a 50-megapixel photo takes
some 200 MB while it is worked on."""


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int = DEFAULT_MAX_BYTES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_count: int = MAX_PHOTOS

    @classmethod
    def from_config(cls, config: dict) -> "PhotoLimits":
        return cls(max_bytes=int(config.get("MEDIA_MAX_BYTES") or DEFAULT_MAX_BYTES),
                   max_pixels=int(config.get("MEDIA_MAX_PIXELS") or DEFAULT_MAX_PIXELS))

    @property
    def max_upload_bytes(self) -> int:
        """The largest request body an upload of ``max_count`` photos may need."""
        return self.max_count * self.max_bytes + FORM_OVERHEAD_BYTES


@dataclass(frozen=True)
class FileError:
    """Why one uploaded file was refused: its position in the form (0-based), its name as
    sent (for the person, never used), a code and a sentence."""

    index: int
    filename: str
    code: str
    message: str

    @property
    def field(self) -> str:
        return f"{PHOTO_FIELD}[{self.index}]"


class PhotoRejected(Problem):
    """One or more files are not photos the platform stores: 422 (413 when every one is only
    too large), naming each file as ``photo[<index>]``. ``errors`` has the details, for pages
    that show them beside the field."""

    def __init__(self, errors: list[FileError]):
        self.errors = errors
        too_large = all(error.code == "too_large" for error in errors)
        described = "; ".join(f"file {e.index + 1} ({e.filename or 'unnamed'}): {e.message}"
                              for e in errors)
        super().__init__(
            413 if too_large else 422,
            f"Refused, nothing was stored: {described}.",
            fields={error.field: [f"{error.message} ({error.code})"] for error in errors},
            title="Payload too large" if too_large else "Invalid photo",
        )


def chosen_files(files) -> list:
    """The files a form really carries: a file input left empty still sends a part with no
    name and no content, which is no photo at all."""
    chosen = []
    for upload in files:
        if not upload.filename and upload.stream.read(1) == b"":
            continue
        upload.stream.seek(0)
        chosen.append(upload)
    return chosen


def too_many(count: int, remaining: int, limit: int = MAX_PHOTOS) -> Problem:
    return Problem(422, f"{count} photos sent; at most {limit} per appeal, {remaining} more "
                        "can be attached. Nothing was stored.",
                   fields={PHOTO_FIELD: [f"at most {limit} photos per appeal; "
                                         f"{remaining} more can be attached"]},
                   title="Too many photos")


def store_photos(files, storage: Storage, limits: PhotoLimits = PhotoLimits()) -> list[dict]:
    """Check, re-encode and store werkzeug ``FileStorage`` uploads; return each photo's
    metadata (what ``intake.attach_photos`` takes). Every file is checked before any is
    stored, and a storage failure removes what was already written: all or nothing.

    Raises :class:`PhotoRejected` naming every bad file, a 422 :class:`Problem` for more
    than ``limits.max_count`` files, or ``Unavailable`` when the storage fails."""
    files = list(files)
    if len(files) > limits.max_count:
        raise too_many(len(files), limits.max_count, limits.max_count)
    processed, errors = [], []
    for index, upload in enumerate(files):
        data = upload.stream.read(limits.max_bytes + 1)
        try:
            with _decoding:
                # Pillow works in a real thread (it releases the GIL), so the gateway goes on
                # answering other requests meanwhile.
                processed.append(tpool.execute(process_image, data, max_bytes=limits.max_bytes,
                                               max_pixels=limits.max_pixels))
        except ImageRejected as refused:
            errors.append(FileError(index, _shown_name(upload.filename), refused.code,
                                    refused.message))
    if errors:
        raise PhotoRejected(errors)
    stored: list[dict] = []
    try:
        for image in processed:
            name = uuid.uuid4().hex  # unguessable, and never reused: a stored file never changes
            photo = {"key": f"photos/{name[:2]}/{name}.{image.extension}",
                     "content_type": image.content_type, "size": len(image.content),
                     "width": image.width, "height": image.height, "sha256": image.sha256,
                     "thumbnail_key": f"photos/{name[:2]}/{name}.thumb.jpg",
                     "thumbnail_content_type": "image/jpeg",
                     "thumbnail_size": len(image.thumbnail)}
            storage.put(photo["key"], image.content, image.content_type)
            stored.append(photo)
            storage.put(photo["thumbnail_key"], image.thumbnail, "image/jpeg")
    except Exception as exc:
        discard(stored, storage)
        log.error("storing photos failed: %r", exc)
        raise Unavailable("the photo storage is unavailable; nothing was stored",
                          extra={"retry_after": 5}) from None
    return stored


def discard(photos: list[dict], storage: Storage) -> None:
    """Remove stored photos and their thumbnails (intake refused them, or storing the rest
    failed). A failure is logged, not raised: the caller is already answering an error."""
    for photo in photos:
        for key in (photo["key"], photo["thumbnail_key"]):
            try:
                storage.delete(key)
            except Exception as exc:
                log.error("could not remove stored photo %s: %r", key, exc)


def _shown_name(filename: str | None) -> str:
    """The file's name as sent, cut short and stripped of control characters: it is only ever
    echoed in an error message."""
    return "".join(ch for ch in (filename or "") if ch.isprintable())[:80]


class MediaAccess:
    """What a worker gets from :class:`MediaStore`."""

    def __init__(self, storage: Storage, limits: PhotoLimits):
        self.storage = storage
        self.limits = limits

    def store_photos(self, files) -> list[dict]:
        """See :func:`store_photos`; files left empty in a form are skipped."""
        return store_photos(chosen_files(files), self.storage, self.limits)

    def discard(self, photos: list[dict]) -> None:
        discard(photos, self.storage)

    def get(self, key: str) -> StoredObject | None:
        return self.storage.get(key)


class MediaStore(DependencyProvider):
    """The photo storage the gateway's config names (``MEDIA_STORAGE``; docs/media.md), and
    the limits uploads are held to."""

    def setup(self):
        config = self.container.config
        self.storage = storage_from_config(config)
        self.limits = PhotoLimits.from_config(config)

    def get_dependency(self, worker_ctx):
        return MediaAccess(self.storage, self.limits)


__all__ = ["MediaStore", "MediaAccess", "PhotoLimits", "PhotoRejected", "FileError",
           "store_photos", "discard", "chosen_files", "too_many", "PHOTO_FIELD", "MAX_PHOTOS"]
