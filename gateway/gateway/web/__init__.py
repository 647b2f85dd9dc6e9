"""The residents' portal: the web edge of the gateway.

Server-rendered pages (Jinja2) in Ukrainian by default and English one click away (Babel
catalogues under ``translations/``), fingerprinted static assets, and HTML error pages. It is
its own package: :class:`~gateway.web.pages.WebPages` holds the page routes and is mixed into
the gateway's nameko service next to the REST handlers, calling the same services through the
same RPC proxies. See docs/web.md.
"""
