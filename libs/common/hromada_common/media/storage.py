"""Where photos live: a storage adapter, chosen by configuration.

- ``MEDIA_STORAGE: local`` (the default): files under ``MEDIA_DIR``;
- ``MEDIA_STORAGE: s3``: an S3-compatible object store (AWS S3, MinIO, Ceph RGW, …) through
  boto3, which is imported only then: ``MEDIA_S3_BUCKET`` (required), ``MEDIA_S3_PREFIX``,
  ``MEDIA_S3_ENDPOINT_URL`` (empty: AWS), ``MEDIA_S3_REGION``, ``MEDIA_S3_ACCESS_KEY_ID`` and
  ``MEDIA_S3_SECRET_ACCESS_KEY`` (empty: boto3's own chain — environment, instance role).

Keys are made by the caller from ``[a-z0-9]`` names and ``/`` (``photos/ab/abcd….jpg``); a
stored object is never rewritten, so whatever serves it may cache it for good.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SAFE_KEY = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
"""What a key may look like: no ``..``, no leading ``/``, nothing a path or URL treats
specially."""


class InvalidKey(ValueError):
    pass


def check_key(key: str) -> str:
    if not isinstance(key, str) or len(key) > 200 or not SAFE_KEY.match(key):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True)
class StoredObject:
    content: bytes
    content_type: str


class Storage(Protocol):
    """What the gateway needs of a place to keep photos."""

    def put(self, key: str, content: bytes, content_type: str) -> None:
        """Store ``content`` under ``key``, whole or not at all."""

    def get(self, key: str) -> StoredObject | None:
        """The object stored under ``key``, or None."""

    def delete(self, key: str) -> None:
        """Remove ``key``; a key that is not there is not an error."""


class LocalDirectoryStorage:
    """Files under one directory (``MEDIA_DIR``), one per key; the content type is kept in a
    small ``.type`` file beside each. Writes go to a temporary file that is renamed into place,
    so a reader never sees half a photo."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, content: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, data in ((path.with_name(path.name + ".type"), content_type.encode()),
                             (path, content)):
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(handle, "wb") as out:
                    out.write(data)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise

    def get(self, key: str) -> StoredObject | None:
        path = self._path(key)
        try:
            content = path.read_bytes()
            content_type = path.with_name(path.name + ".type").read_text().strip()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        return StoredObject(content, content_type)

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".type").unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket (boto3, imported on first use). Objects are written with their
    content type; reads go through the gateway, which adds the safe headers."""

    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, access_key_id: str | None = None,
                 secret_access_key: str | None = None, client=None):
        if not bucket:
            raise ValueError("MEDIA_S3_BUCKET is required when MEDIA_STORAGE is s3")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client = client
        self._client_options = {
            "endpoint_url": endpoint_url or None, "region_name": region or None,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
        }

    @property
    def client(self):
        if self._client is None:
            import boto3  # optional: only deployments that store photos in S3 need it

            self._client = boto3.client("s3", **self._client_options)
        return self._client

    def _object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, content: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=content,
                               ContentType=content_type)

    def get(self, key: str) -> StoredObject | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        with answer["Body"] as body:
            return StoredObject(body.read(), answer.get("ContentType") or "")

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object_key(key))


def default_media_dir() -> Path:
    """``$HROMADA_VAR_DIR/media`` (``make up`` sets it), else ``./var/media``."""
    return Path(os.environ.get("HROMADA_VAR_DIR") or "var") / "media"


def storage_from_config(config: dict) -> Storage:
    """The adapter ``config`` asks for (see the module's docstring)."""
    kind = str(config.get("MEDIA_STORAGE") or "local").strip().lower()
    if kind == "local":
        return LocalDirectoryStorage(config.get("MEDIA_DIR") or default_media_dir())
    if kind == "s3":
        return S3Storage(
            bucket=config.get("MEDIA_S3_BUCKET") or "",
            prefix=config.get("MEDIA_S3_PREFIX") or "",
            endpoint_url=config.get("MEDIA_S3_ENDPOINT_URL"),
            region=config.get("MEDIA_S3_REGION"),
            access_key_id=config.get("MEDIA_S3_ACCESS_KEY_ID"),
            secret_access_key=config.get("MEDIA_S3_SECRET_ACCESS_KEY"),
        )
    raise ValueError(f"MEDIA_STORAGE must be 'local' or 's3', not {kind!r}")
