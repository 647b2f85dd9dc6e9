"""Rendering a page: the Jinja2 environment, its translations, and the headers every page
carries."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.wrappers import Response

from .assets import Assets
from .i18n import Formatter, translations

TEMPLATES_DIR = Path(__file__).parent / "templates"

# No inline script or style anywhere: every script and stylesheet is a file under /static/.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


@lru_cache(maxsize=1)
def assets() -> Assets:
    return Assets()


@lru_cache(maxsize=None)
def environment(locale: str) -> Environment:
    """One environment per locale, its catalogue installed for ``_`` / ``ngettext``."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)
    env.globals["asset"] = assets().url
    return env


def gettext(locale: str):
    return translations(locale).gettext


def render_page(template: str, locale: str, request, status: int = 200, headers=None,
                **context) -> Response:
    env = environment(locale)
    html = env.get_template(template).render(
        lang=locale, fmt=Formatter(locale), path=request.path,
        full_path=request.full_path.rstrip("?"), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers.update(PAGE_HEADERS)
    response.headers["Content-Language"] = locale
    response.headers["Vary"] = "Cookie, Accept-Language"
    response.headers.setdefault("Cache-Control", "no-cache")
    if headers:
        response.headers.update(headers)
    return response
