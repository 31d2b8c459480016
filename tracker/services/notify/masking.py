"""Secrets in channel URLs and in Apprise's error texts: masked wherever they are shown or recorded."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

# A URL runs to the end of its line or its quote: a password may hold spaces ("user:Pa ss@host").
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://[^\r\n\"'`]+", re.IGNORECASE)
_SECRET_PARAM = re.compile(r"token|key|secret|pass|pwd|webhook", re.IGNORECASE)


def mask_unloadable(text: str) -> str:
    """Hide everything after the scheme of URLs Apprise could not load, up to the line's end or a quote."""
    return _URL.sub(lambda m: f"{m.group(1)}://***", text)


def mask_url(url: str) -> str:
    """Mask query values Apprise's privacy URL keeps in clear: headers and payload fields, secret-looking ones.

    Apprise's ``-name``/``+name``/``:name`` parameters are HTTP headers, GET arguments and payload fields
    (``-X-Api-Key=…``); names such as token, key, secret, password and webhook hold credentials wherever
    they appear.
    """
    head, mark, query = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = query.partition("#")
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        plain = unquote_plus(name)
        if eq and value and (plain[:1] in ("-", "+", ":") or _SECRET_PARAM.search(plain)):
            value = "****"
        parts.append(f"{name}{eq}{value}")
    return f"{head}?{'&'.join(parts)}{hash_mark}{'****' if fragment else ''}"


def private_url(server: Any) -> str:
    """A loaded Apprise URL for display: Apprise's privacy URL with query secrets masked too."""
    return mask_url(server.url(privacy=True))


def mask_reason(text: str) -> str:
    """Apprise's reasons quote the offending value in parentheses ("Token (xoxb-…)"): hide it."""
    return re.sub(r"\((?!second\)|first\)|third\))[^)]*\)", "(***)", mask_unloadable(text))
