"""A shop's own test, using the ``memory_transport`` fixture relationclient's pytest plugin adds."""

import relationclient as rc
from relationclient import samples
from relationclient.transports import Transport


def signup(email: str, transport: Transport) -> None:
    """The shop's code under test: create the account, then send the welcome mail."""
    composer = rc.Composer(samples.shop())
    customer = rc.Customer(first_name="Camille", email=email, locale="fr")
    welcome = composer.email("account_created", customer=customer, login_url=samples.LOGIN_URL)
    transport.send(welcome)


def test_welcome_mail_is_sent(memory_transport):
    signup("camille@example.fr", transport=memory_transport)
    [email] = memory_transport.outbox
    assert email.kind == "account_created"
    assert email.to.address == "camille@example.fr"
