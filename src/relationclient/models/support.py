"""Customers' questions and the shop's answers: an :class:`Inquiry` and a :class:`Reply`.

Both are event models: their ``id`` (the ticket number, the answer's number
in the shop's help desk) is their identity in the idempotency key, so two
replies to one customer are two messages, and a retried one is one.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator
from pydantic_core import PydanticCustomError

from ._types import Identifier, LongLine, Model, SingleLine
from .orders import Order
from .parties import Customer

__all__ = ["MESSAGE_LENGTH", "Inquiry", "Reply"]

#: Longest question or answer body, in characters (about ten printed pages).
MESSAGE_LENGTH = 20_000


def _text(value: str) -> str:
    """Multi-line text: every line end made LF, other control characters refused."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    if any((ord(c) < 32 and c not in "\n\t") or c == "\x7f" for c in text):
        raise PydanticCustomError(
            "text", "must be text: line breaks and tabs only, no other control characters"
        )
    return text


Text = Annotated[str, Field(min_length=1, max_length=MESSAGE_LENGTH)]


class Inquiry(Model):
    """A customer's question, as the shop's help desk received it.

    ``id`` is the reference the customer is given; ``order`` the order it is
    about, when there is one.
    """

    id: Identifier
    customer: Customer
    subject: LongLine
    body: Text
    received_at: AwareDatetime
    order: Order | None = None

    @field_validator("body")
    @classmethod
    def _multiline(cls, value: str) -> str:
        return _text(value)


class Reply(Model):
    """An answer written by a person: plain text, paragraphs separated by blank lines.

    Nothing in ``body`` is interpreted as markup: it is escaped in the HTML
    part, bare ``https://`` links become links and blank lines paragraphs.
    ``agent_name`` signs it (the first name is used).
    """

    id: Identifier
    body: Text
    agent_name: SingleLine
    written_at: AwareDatetime

    @field_validator("body")
    @classmethod
    def _multiline(cls, value: str) -> str:
        return _text(value)

    @property
    def agent_first_name(self) -> str:
        """The first word of ``agent_name``: answers are signed by a person, not a form."""
        return self.agent_name.split()[0]
