"""Errors intake raises to its callers: the shared typed RPC errors."""
from hromada_common.errors import Conflict, InvalidInput, NotFound, Unavailable  # noqa: F401
