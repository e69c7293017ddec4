"""What every message must show, as code: used by the tests and by ``relationclient check``.

The rules come from ``DESIGN.md`` ("Message kinds and what each must show"):
an order confirmation shows every line with its quantity, unit price and line
total, the totals, the delivery method, address and date, the tracking link,
the 14-day withdrawal right for EU shops, and the shop's contact block (name,
phone with its opening hours, postal address, email) — formatted exactly as
:class:`~relationclient.i18n.Formatter` formats them for the reader, so a
check finds ``1 365,20 €`` in French and ``€1,365.20`` in English.

Three layers, each usable alone:

* :func:`must_show` lists the :class:`Requirement` of one kind, channel and
  context — text that must appear (or, for a promo code sent without marketing
  consent, must not);
* :func:`message_problems` checks a rendered :class:`~relationclient.Email`
  or :class:`~relationclient.Sms` against them, plus size and segment budgets;
* :func:`run_checks` is a shop's CI in one call: its template overrides
  compile, its catalogs are complete for every locale, and every kind ×
  channel × locale renders from sample data with everything it must show.

Example:
    >>> from relationclient import Composer, samples
    >>> composer = Composer(samples.shop())
    >>> context = samples.context("order_confirmation", "fr")
    >>> email = composer.email("order_confirmation", **context)
    >>> message_problems(composer, email, context)
    []

The code, one module per job: ``requirements`` (what each message must show,
and the check of a rendered message), ``reading`` (the text a reader sees),
``problem`` (what a check reports), ``templates`` and ``catalogs`` (a shop's
overrides and gettext catalogs), ``data`` (a shop's data file and the sample
contexts) and ``report`` (the whole check). Import from here, not from them.
"""

from __future__ import annotations

from .catalogs import BABEL_CFG as BABEL_CFG
from .catalogs import catalog_problems as catalog_problems
from .catalogs import clear_caches as clear_caches
from .catalogs import template_msgids as template_msgids
from .data import load_data as load_data
from .data import sample_context as sample_context
from .problem import Problem as Problem
from .problem import shown as shown
from .reading import squash as squash
from .reading import visible_text as visible_text
from .report import DEFAULT_SMS_SEGMENTS as DEFAULT_SMS_SEGMENTS
from .report import CheckReport as CheckReport
from .report import MessageResult as MessageResult
from .report import run_checks as run_checks
from .requirements import Requirement as Requirement
from .requirements import formatter as formatter
from .requirements import message_problems as message_problems
from .requirements import must_show as must_show
from .templates import template_problems as template_problems

__all__ = [
    "BABEL_CFG",
    "DEFAULT_SMS_SEGMENTS",
    "CheckReport",
    "MessageResult",
    "Problem",
    "Requirement",
    "catalog_problems",
    "clear_caches",
    "formatter",
    "load_data",
    "message_problems",
    "must_show",
    "run_checks",
    "sample_context",
    "shown",
    "squash",
    "template_msgids",
    "template_problems",
    "visible_text",
]
