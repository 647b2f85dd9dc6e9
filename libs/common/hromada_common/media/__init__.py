"""Photos attached to appeals: checked by content, re-encoded without metadata, stored
through an adapter (a local directory, or an S3-compatible object store).

Bytes stay at the edge that received them: services are told only what was stored (key,
type, sizes, digest), never the bytes (docs/media.md)."""
from .images import (
    ALLOWED_TYPES,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_PIXELS,
    ImageRejected,
    ProcessedImage,
    process_image,
)
from .storage import (
    LocalDirectoryStorage,
    S3Storage,
    Storage,
    StoredObject,
    storage_from_config,
)

__all__ = [
    "ALLOWED_TYPES", "DEFAULT_MAX_BYTES", "DEFAULT_MAX_PIXELS", "ImageRejected",
    "ProcessedImage", "process_image", "LocalDirectoryStorage", "S3Storage", "Storage",
    "StoredObject", "storage_from_config",
]
