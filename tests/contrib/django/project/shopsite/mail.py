"""A backend deriving from relationclient's: DjangoTransport must refuse it (it would loop)."""

from typing import Any, ClassVar

from anymail.backends.test import EmailBackend as TestBackend

from relationclient.contrib.django import EmailBackend


class LoopingBackend(EmailBackend):
    pass


class ScriptedESP(TestBackend):
    """Anymail's test ESP, answering each message with the next of ``answers`` when any.

    An answer is what Anymail's test backend takes as ``anymail_test_response``:
    an ``AnymailAPIError`` to raise, or a ``{"recipient_status": …}`` dict.
    """

    answers: ClassVar[list[Any]] = []

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            if ScriptedESP.answers:
                message.anymail_test_response = ScriptedESP.answers.pop(0)
        return int(super().send_messages(email_messages))
