"""Static assets, fingerprinted: ``/static/site.3f2a9c1b.css`` for ``static/site.css``.

A fingerprinted URL names one version of a file for ever, so it is served with a year-long
``immutable`` cache; templates ask :meth:`Assets.url` for the current name. Files are read
once, at start.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PREFIX = "/static/"
IMMUTABLE = "public, max-age=31536000, immutable"


COMPRESSIBLE = ("text/", "application/javascript", "image/svg+xml", "application/json")


@dataclass(frozen=True)
class Asset:
    content: bytes
    mimetype: str
    etag: str
    gzipped: bytes | None = None
    """The content gzip-compressed once at start, for browsers that accept it (text only;
    images are compressed already)."""


class Assets:
    def __init__(self, directory: Path = STATIC_DIR):
        self._by_url: dict[str, Asset] = {}
        self._url_of: dict[str, str] = {}
        for path in sorted(p for p in directory.rglob("*")
                           if p.is_file() and not p.name.startswith(".")):
            relative = path.relative_to(directory).as_posix()
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()[:12]
            stem, dot, suffix = relative.rpartition(".")
            name = f"{stem}.{digest}.{suffix}" if dot else f"{relative}.{digest}"
            mimetype = mimetypes.guess_type(relative)[0] or "application/octet-stream"
            if mimetype.startswith("text/") or mimetype.endswith("javascript"):
                mimetype += "; charset=utf-8"
            gzipped = None
            if mimetype.startswith(COMPRESSIBLE):
                # mtime=0: the same bytes on every start and every gateway instance.
                gzipped = gzip.compress(content, compresslevel=9, mtime=0)
                if len(gzipped) >= len(content):
                    gzipped = None
            self._by_url[name] = Asset(content, mimetype, f'"{digest}"', gzipped)
            self._url_of[relative] = STATIC_PREFIX + name

    def url(self, relative: str) -> str:
        """The fingerprinted URL of ``static/<relative>``; a KeyError names a missing file."""
        return self._url_of[relative]

    def get(self, name: str) -> Asset | None:
        return self._by_url.get(name)
