"""What every REST module shares: the API prefix, who may call what, small responses."""
from __future__ import annotations

from werkzeug.wrappers import Response

from gateway.http import roles

API = "/api/v1"
PUBLIC_BOARD_CACHING = {"Cache-Control": "public, max-age=5"}
"""Public boards are served from a cache up to a few seconds old anyway: let proxies and
browsers keep them that long too."""

# Who may call what (checked at the edge before the body is read; routes without ``access``
# need a signed-in caller). The services check again, finer: the author, the body's staff.
MODERATORS = roles("dispatcher", "admin")
ADMIN = roles("admin")
BODY_STAFF = roles("executor", "head")
STAFF = roles("executor", "head", "dispatcher", "admin")


def no_content():
    return Response(status=204)
