"""Checking and re-encoding an uploaded photo with Pillow.

A photo is judged by its bytes, never by its name or the type its sender claims: the first
bytes must be a JPEG, PNG or WebP signature, and Pillow (limited to that one format) must
decode the whole image. What is stored is not the upload but a new file encoded from its
pixels alone, so nothing the camera or an editor wrote beside them survives: no EXIF (GPS
position, camera serial, time), no XMP, no IPTC, no PNG text chunks, no ICC profile (the
pixels are converted to sRGB first, so colours stay right). The EXIF orientation is applied
to the pixels before the EXIF goes.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageCms, ImageOps

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""The largest upload accepted (10 MB): a phone's full-resolution JPEG fits."""
DEFAULT_MAX_PIXELS = 50_000_000
"""The most pixels an image may have (a 50-megapixel camera's full frame), checked from the
header before anything is decoded: a small file can claim a vast image (a decompression
bomb) that would take gigabytes to decode."""
DEFAULT_MAX_EDGE = 4096
"""Stored photos are scaled down to at most this many pixels on their longer side."""
THUMBNAIL_EDGE = 320
JPEG_QUALITY = 85
THUMBNAIL_QUALITY = 80

ALLOWED_TYPES = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                 "WEBP": ("image/webp", "webp")}
"""Pillow's format name → (content type, file extension) of what is accepted and stored."""

_SRGB = ImageCms.createProfile("sRGB")


class ImageRejected(ValueError):
    """The upload is not a photo the platform stores; ``code`` says why (``empty``,
    ``too_large``, ``unsupported_type``, ``corrupt``, ``too_many_pixels``) and the message says
    it to a person."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ProcessedImage:
    """A re-encoded photo and its thumbnail (always a JPEG), ready to store."""

    content: bytes
    content_type: str
    extension: str
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def sniff_format(data: bytes) -> str | None:
    """The accepted format the bytes start like (Pillow's name), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def process_image(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES,
                  max_pixels: int = DEFAULT_MAX_PIXELS,
                  max_edge: int = DEFAULT_MAX_EDGE) -> ProcessedImage:
    """Check ``data`` and re-encode it without metadata, or raise :class:`ImageRejected`.

    The stored photo keeps the upload's format (a PNG stays lossless); an animated image
    keeps its first frame.
    """
    if not data:
        raise ImageRejected("empty", "the file is empty")
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"the file is larger than {max_bytes // (1024 * 1024)} MB")
    fmt = sniff_format(data)
    if fmt is None:
        raise ImageRejected("unsupported_type",
                            "the file is not a JPEG, PNG or WebP image (judged by its content, "
                            "not its name)")
    image = _decode(data, fmt, max_pixels)
    image = _upright(image)
    image = _as_srgb(image, fmt)
    if max(image.size) > max_edge:
        image.thumbnail((max_edge, max_edge), Image.Resampling.LANCZOS)
    # A new image from the pixels alone: none of the upload's ``info`` (EXIF, XMP, ICC, text
    # chunks, comments) can reach the encoder.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    content_type, extension = ALLOWED_TYPES[fmt]
    thumbnail = _thumbnail(clean)
    return ProcessedImage(
        content=_encode(clean, fmt), content_type=content_type, extension=extension,
        width=clean.width, height=clean.height, thumbnail=_encode(thumbnail, "JPEG",
                                                                  THUMBNAIL_QUALITY),
        thumbnail_width=thumbnail.width, thumbnail_height=thumbnail.height,
    )


def _decode(data: bytes, fmt: str, max_pixels: int) -> Image.Image:
    corrupt = ImageRejected("corrupt", f"the file looks like a {fmt} image but cannot be read "
                                       "whole (damaged or truncated)")
    try:
        probe = Image.open(BytesIO(data), formats=[fmt])
        if probe.width * probe.height > max_pixels:
            raise ImageRejected(
                "too_many_pixels",
                f"the image is {probe.width}×{probe.height} pixels; at most "
                f"{max_pixels // 1_000_000} megapixels are accepted")
        probe.verify()  # checksums and structure, without decoding the pixels
        image = Image.open(BytesIO(data), formats=[fmt])
        image.seek(0)
        image.load()  # every pixel: a truncated file fails here
    except ImageRejected:
        raise
    except Image.DecompressionBombError:
        raise ImageRejected("too_many_pixels",
                            f"the image has more than {max_pixels // 1_000_000} megapixels") from None
    except Exception:  # Pillow reports damage as OSError, SyntaxError, ValueError, …
        raise corrupt from None
    return image


def _upright(image: Image.Image) -> Image.Image:
    """The pixels turned the way the EXIF orientation says (the tag goes with the EXIF)."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a damaged EXIF block must not cost the photo: keep it as it is
        return image


def _as_srgb(image: Image.Image, fmt: str) -> Image.Image:
    """The pixels in a mode the output format stores, converted to sRGB when the upload
    carried a colour profile (which is dropped with the rest of the metadata)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    if fmt == "JPEG":
        mode = "L" if image.mode == "L" else "RGB"
    elif fmt == "PNG" and image.mode == "L":
        mode = "L"
    else:
        mode = "RGBA" if has_alpha else "RGB"
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        profiled_mode = image.mode if image.mode in ("RGBA", "L") else "RGB"
        try:
            image = ImageCms.profileToProfile(
                image, ImageCms.ImageCmsProfile(BytesIO(icc)), _SRGB, outputMode=profiled_mode)
        except Exception:  # an unusable profile: convert as if there were none
            pass
    return image.convert(mode) if image.mode != mode else image


def _thumbnail(image: Image.Image) -> Image.Image:
    thumbnail = image.copy()
    thumbnail.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
    if thumbnail.mode in ("RGBA", "LA"):
        # JPEG has no transparency: lay the image on white, as a page shows it.
        background = Image.new("RGB", thumbnail.size, "white")
        background.paste(thumbnail, mask=thumbnail.getchannel("A"))
        return background
    return thumbnail


def _encode(image: Image.Image, fmt: str, quality: int = JPEG_QUALITY) -> bytes:
    out = BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=quality, progressive=True)
    elif fmt == "PNG":
        image.save(out, "PNG")
    else:
        image.save(out, "WEBP", quality=quality)
    return out.getvalue()
