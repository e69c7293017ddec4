"""The whole check of a shop, as ``relationclient check`` runs it, and its report."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .. import samples
from ..composer import DEFAULT_HTML_LIMIT, Composer
from ..errors import RelationClientError
from ..i18n.catalogs import SHIPPED_LOCALES
from ..messages import Email, Kind, Sms
from ..models import Shop
from .catalogs import catalog_problems, clear_caches
from .data import sample_context
from .problem import Problem
from .requirements import Channel, message_problems
from .templates import template_problems

#: The SMS budget ``relationclient check`` applies unless told otherwise: beyond
#: three parts, a concatenated SMS costs more than it is worth.
DEFAULT_SMS_SEGMENTS = 3

CHANNELS: tuple[Channel, ...] = ("email", "sms")


@dataclass
class MessageResult:
    """One rendered message of the check: its numbers and its problems."""

    kind: str
    channel: Channel
    locale: str
    html_size: int | None = None
    encoding: str | None = None
    segments: int | None = None
    problems: list[Problem] = field(default_factory=list)


@dataclass
class CheckReport:
    """Everything :func:`run_checks` found; ``ok`` when there is no problem."""

    templates: list[str] = field(default_factory=list)
    catalogs: list[str] = field(default_factory=list)
    messages: list[MessageResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return not self.problems


def run_checks(
    shop: Shop | None = None,
    *,
    template_dirs: Sequence[str | Path] = (),
    catalog_dirs: Sequence[str | Path] = (),
    locales: Sequence[str] = SHIPPED_LOCALES,
    kinds: Sequence[Kind | str] = tuple(Kind),
    html_limit: int | None = DEFAULT_HTML_LIMIT,
    sms_segments: int | None = DEFAULT_SMS_SEGMENTS,
    data: Mapping[str, Any] | None = None,
) -> CheckReport:
    """A shop's CI in one call: templates compile, catalogs complete, every message right.

    Args:
        shop: The shop whose contact block and rules apply (sample shop by default).
        template_dirs: The shop's template folders, searched before the packaged ones.
        catalog_dirs: The shop's gettext catalogs, tried before the packaged ones.
        locales: The locales to check (every shipped locale by default).
        kinds: The message kinds to check (all by default).
        html_limit: Bytes of HTML allowed per email; None: no limit.
        sms_segments: Most segments allowed per SMS; None: no budget.
        data: The shop's own order, shipment… used instead of samples (see
            :func:`sample_context`).

    Returns:
        The report; ``report.ok`` is False on any problem.
    """
    clear_caches()  # a check reads the catalogs as they are on disk now
    # Absolute folders: catalogs are cached by folder name, and "locale" means another
    # folder after a change of working directory.
    template_dirs = [Path(d).resolve() for d in template_dirs]
    catalog_dirs = [Path(d).resolve() for d in catalog_dirs]
    report = CheckReport()
    names, problems, notes = template_problems(template_dirs)
    report.templates, report.notes = names, notes
    report.problems += problems
    report.catalogs, problems = catalog_problems(template_dirs, catalog_dirs, locales)
    report.problems += problems
    composer = Composer(
        shop or samples.shop(),
        template_dirs=template_dirs,
        catalog_dirs=catalog_dirs,
        html_size_limit=sys.maxsize,  # measured and reported below, not refused
        # A stand-in endpoint, as sample data stands in for the shop's: marketing
        # emails render with a signed link of the sample shop's.
        unsubscribe_url=samples.UNSUBSCRIBE_URL,
        unsubscribe_secret=samples.UNSUBSCRIBE_SECRET,
    )
    for kind in kinds:
        kind = str(kind.value if isinstance(kind, Kind) else kind)
        for locale in locales:
            for channel in CHANNELS:
                result = MessageResult(kind, channel, locale)
                try:
                    context = sample_context(kind, locale, data)
                    message: Email | Sms = (
                        composer.email(kind, locale=locale, **context)
                        if channel == "email"
                        else composer.sms(kind, locale=locale, **context)
                    )
                    result.problems = message_problems(
                        composer,
                        message,
                        context,
                        html_limit=html_limit,
                        sms_segments=sms_segments,
                    )
                except (RelationClientError, ValidationError) as exc:
                    where = f"{kind} · {channel} · {locale}"
                    result.problems = [Problem(where, "render", str(exc))]
                else:
                    if isinstance(message, Email):
                        result.html_size = len(message.html.encode())
                    else:
                        result.encoding, result.segments = message.encoding, message.segments
                report.messages.append(result)
                report.problems += result.problems
    return report
