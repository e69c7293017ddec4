"""The email policies :meth:`Email.to_mime <relationclient.Email.to_mime>` writes with.

The standard library folds a long unstructured header by RFC 2047-encoding it
(``List-Unsubscribe: =?utf-8?q?=3Chttps=3A//…``), which mail clients do not
decode in the RFC 2369 list headers: Gmail and Yahoo then see no unsubscribe
link at all. These policies are :data:`email.policy.SMTP` and
:data:`email.policy.SMTPUTF8` with one change, made through the standard
library's own extension point (a :class:`~email.headerregistry.HeaderRegistry`
as the policy's ``header_factory``): the list headers are written as they are,
folded only between their ``<…>`` items, never inside a URL, however long.
"""

from __future__ import annotations

import re
from email.headerregistry import BaseHeader, HeaderRegistry, UnstructuredHeader
from email.policy import SMTP, SMTPUTF8, Policy

__all__ = ["LIST_HEADERS", "SMTPUTF8_POLICY", "SMTP_POLICY", "ListHeader"]

#: The RFC 2369 headers: comma-separated ``<URI>`` items.
LIST_HEADERS = (
    "list-help",
    "list-unsubscribe",
    "list-subscribe",
    "list-post",
    "list-owner",
    "list-archive",
)

_ITEM = re.compile(r"<[^<>\s]*>")


class ListHeader(UnstructuredHeader, BaseHeader):
    """An RFC 2369 header (``<https://…>, <mailto:…>``), folded only between its items.

    A value that is not a list of ``<…>`` items (``List-Post: NO``), or that
    holds non-ASCII characters a 7-bit policy must encode, is folded the
    standard way.
    """

    def fold(self, *, policy: Policy) -> str:
        """``Name: <a>, <b>`` on one line, or with a line break after a comma when too long."""
        value = str(self)
        items = _ITEM.findall(value)
        utf8 = bool(getattr(policy, "utf8", False))
        if not items or ", ".join(items) != value or not (utf8 or value.isascii()):
            return str(super().fold(policy=policy))
        limit = policy.max_line_length or 0
        lines = [f"{self.name}: {items[0]}"]
        for item in items[1:]:
            if limit and len(lines[-1]) + len(", ") + len(item) > limit:
                lines[-1] += ","
                lines.append(f" {item}")
            else:
                lines[-1] += f", {item}"
        return policy.linesep.join(lines) + policy.linesep


def _registry() -> HeaderRegistry:
    registry = HeaderRegistry()
    for name in LIST_HEADERS:
        registry.map_to_type(name, ListHeader)
    return registry


#: :data:`email.policy.SMTP` (CRLF, 78 columns) writing list headers unencoded.
SMTP_POLICY = SMTP.clone(header_factory=_registry())
#: :data:`email.policy.SMTPUTF8`, for addresses with a non-ASCII local part, likewise.
SMTPUTF8_POLICY = SMTPUTF8.clone(header_factory=_registry())
