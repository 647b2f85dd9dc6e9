"""Photos of an appeal: upload (multipart), list, and serve the stored files.

The gateway checks, re-encodes and stores the bytes (:mod:`gateway.media_upload`); intake
records the metadata and decides who may attach what (``intake.attach_photos``). When intake
refuses, what was stored is removed again. docs/media.md has the why.
"""
from __future__ import annotations

import re

from marshmallow import fields, validate
from nameko.exceptions import RpcTimeout
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from gateway.http import PUBLIC, Problem, http, json_response, problem_response, instance_of
from gateway.media_upload import (
    CONTENT_TYPES,
    PHOTO_FIELD,
    PHOTO_KEY_PATTERN,
    MediaStore,
    chosen_files,
    too_many,
)
from gateway.schemas import RequestSchema, load

API = "/api/v1"
MEDIA_PREFIX = "/media/"
PURPOSES = ("appeal", "rework", "resolution")
MULTIPART = "multipart/form-data"
_MEDIA_KEY = re.compile(rf"^{PHOTO_KEY_PATTERN}$")

MEDIA_HEADERS = {
    # The file is an image and nothing else: no browser may run or style anything in it,
    # nor guess another type, even if a file were ever crafted to look like a page.
    "Content-Security-Policy": "default-src 'none'; sandbox",
    # A key names one file forever (never rewritten): caches may keep it for good.
    "Cache-Control": "public, max-age=31536000, immutable",
    "Cross-Origin-Resource-Policy": "cross-origin",
}


class PhotoUploadForm(RequestSchema):
    """The non-file fields of ``POST /appeals/{id}/photos`` (the files come as ``photo``)."""

    purpose = fields.String(
        load_default="appeal", validate=validate.OneOf(PURPOSES),
        metadata={"description": "appeal (the author, while the appeal is open), rework (the "
                                 "author, with a rework request) or resolution (the assigned "
                                 "body's staff, with the resolution report)."})


def media_url(key: str) -> str:
    return MEDIA_PREFIX + key


def photo_links(photo: dict) -> dict:
    """A photo as the API shows it: its URLs instead of storage keys."""
    return {"id": photo["id"], "purpose": photo["purpose"], "url": media_url(photo["key"]),
            "thumbnail_url": media_url(photo["thumbnail_key"]),
            "content_type": photo["content_type"], "width": photo["width"],
            "height": photo["height"], "size": photo["size"], "sha256": photo["sha256"],
            "created_at": photo["created_at"]}


def photos_of(appeal: dict) -> list[dict]:
    """The ``photos`` member of an appeal intake returned, with URLs."""
    return [photo_links(photo) for photo in appeal.get("photos") or []]


class PhotoRoutes:
    """Mixed into the gateway service: the photo routes and the :class:`MediaStore`
    dependency (``self.media``) the portal's pages use too."""

    media = MediaStore()

    @http("POST", f"{API}/appeals/<string:appeal_id>/photos")
    def attach_photos(self, request, appeal_id):
        """Attach up to 5 photos (JPEG, PNG, WebP; 10 MB each) sent as ``photo`` parts of a
        multipart form, with ``purpose``. 201 with the photos attached; on any refusal
        nothing is stored."""
        if request.mimetype != MULTIPART:
            raise Problem(415, f"Send the photos as {MULTIPART}, each in a part named "
                               f"'{PHOTO_FIELD}'.")
        # This route alone takes a body of up to five photos (the API's limit is 1 MiB).
        request.max_content_length = self.media.limits.max_upload_bytes
        try:
            form, files = request.form, request.files
        except RequestEntityTooLarge:
            limit = self.media.limits.max_upload_bytes // (1024 * 1024)
            raise Problem(413, f"The request body exceeds {limit} MiB: at most "
                               f"{self.media.limits.max_count} photos of "
                               f"{self.media.limits.max_bytes // (1024 * 1024)} MB each.",
                          fields={PHOTO_FIELD: ["the photos together are too large"]}) from None
        # Who may attach for this purpose (and how many more) comes before the rest of the
        # form is judged and before any image is decoded; intake also refuses a bad purpose.
        allowance = self.intake_rpc.photo_allowance(appeal_id, form.get("purpose", "appeal"))
        unexpected = {name: ["Unknown field."] for name in files if name != PHOTO_FIELD}
        if PHOTO_FIELD in form:
            unexpected[PHOTO_FIELD] = ["Must be a file, not a text field."]
        if unexpected:
            raise Problem(422, "The form has fields this route does not take.",
                          fields=unexpected)
        purpose = load(PhotoUploadForm(), form.to_dict(flat=True), what="form")["purpose"]
        uploads = chosen_files(files.getlist(PHOTO_FIELD))
        if not uploads:
            raise Problem(422, "No photo was sent.",
                          fields={PHOTO_FIELD: ["attach at least one photo"]})
        if len(uploads) > allowance["remaining"]:
            raise too_many(len(uploads), allowance["remaining"], allowance["limit"])
        stored = self.media.store_photos(uploads)
        try:
            attached = self.intake_rpc.attach_photos(appeal_id, stored, purpose)
        except RpcTimeout:
            # Intake may yet record them: removing the files could leave records of photos
            # that are gone. An unrecorded file is only unused space (docs/media.md).
            raise
        except Exception:
            self.media.discard(stored)
            raise
        return json_response({"items": [photo_links(p) for p in attached["items"]]}, status=201,
                             headers={"Location": f"{API}/appeals/{appeal_id}/photos"})

    @http("GET", f"{API}/appeals/<string:appeal_id>/photos", access=PUBLIC)
    def list_photos(self, request, appeal_id):
        """The appeal's photos, oldest first, each with its URL and its thumbnail's."""
        photos = self.intake_rpc.list_photos(appeal_id)["items"]
        return json_response({"items": [photo_links(photo) for photo in photos]})

    @http("GET", f"{MEDIA_PREFIX}<path:key>", access=PUBLIC)
    def media_file(self, request, key):
        """A stored photo or thumbnail, with headers that let it be nothing but an image."""
        stored = self.media.get(key) if _MEDIA_KEY.match(key) else None
        if stored is None:
            return problem_response(404, f"There is no resource at {instance_of(request)}.",
                                    instance_of(request))
        extension = key.rsplit(".", 1)[1]
        filename = key.rsplit("/", 1)[1]
        response = Response(stored.content, status=200, mimetype=CONTENT_TYPES[extension],
                            headers={**MEDIA_HEADERS,
                                     "Content-Disposition": f'inline; filename="{filename}"'})
        response.add_etag()
        return response.make_conditional(request)
