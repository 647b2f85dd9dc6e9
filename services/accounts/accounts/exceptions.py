"""Errors accounts raises to its callers: the shared typed RPC errors."""
from hromada_common.auth import TooManyRequests, Unauthenticated  # noqa: F401
from hromada_common.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable  # noqa: F401
