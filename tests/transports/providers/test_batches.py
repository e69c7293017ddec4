"""Batches and concurrency: Postmark's and Mailjet's batch endpoints, the engine, 429s.

The server plays each provider as documented (``ProviderServer.play``): it
answers a batch with one result per message, refuses the addresses it is told
are bad one by one, and records when each request arrived, when each answer
left and how many requests it held at once, all by its own clock.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import json
import multiprocessing
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from relationclient import PermanentTransportError, TransientTransportError, TransportError
from relationclient.messages import Attachment, Email, Mailbox, idempotency_key
from relationclient.transports import (
    BatchLimits,
    HTTPTransport,
    MailjetTransport,
    PostmarkTransport,
    Receipt,
    RetryPolicy,
)

from ..sample_messages import email as sample_email
from .provider_server import (
    MAILJET_BATCH_MESSAGES,
    POSTMARK_BATCH_BYTES,
    POSTMARK_BATCH_MESSAGES,
    ProviderServer,
    Received,
)

SECRET = "s3cr3t-do-not-leak-7f3a9c"


@dataclass(frozen=True)
class BatchProvider:
    """A provider with a batch endpoint, as these tests drive it."""

    name: str
    make: Callable[..., HTTPTransport]  # (base_url, **options) -> transport
    limit: int  # messages a call, as documented
    refusal_code: Any  # the code of a message refused for a bad address
    items: Callable[[Received], list[dict[str, Any]]]  # the messages of one call
    message_id: Callable[[dict[str, Any]], str]  # the Message-ID header of one item


def _postmark_message_id(item: dict[str, Any]) -> str:
    [value] = [h["Value"] for h in item["Headers"] if h["Name"] == "Message-ID"]
    return str(value)


def _postmark_items(request: Received) -> list[dict[str, Any]]:
    body = request.json()
    return body if request.path == "/email/batch" else [body]


BATCH_PROVIDERS = (
    BatchProvider(
        name="postmark",
        make=lambda url, **kw: PostmarkTransport(SECRET, base_url=url, **kw),
        limit=POSTMARK_BATCH_MESSAGES,
        refusal_code=406,
        items=_postmark_items,
        message_id=_postmark_message_id,
    ),
    BatchProvider(
        name="mailjet",
        make=lambda url, **kw: MailjetTransport("mailjet-public-key", SECRET, base_url=url, **kw),
        limit=MAILJET_BATCH_MESSAGES,
        refusal_code="mj-0013",
        items=lambda request: list(request.json()["Messages"]),
        message_id=lambda item: str(item["Headers"]["Message-ID"]),
    ),
)


@pytest.fixture(params=BATCH_PROVIDERS, ids=lambda provider: provider.name)
def provider(request: pytest.FixtureRequest) -> BatchProvider:
    return request.param  # type: ignore[no-any-return]


def bulk(count: int, **changes: Any) -> list[Email]:
    """``count`` order confirmations, each to its own customer with its own key and Message-ID."""
    base = sample_email(**changes)
    return [
        base.model_copy(
            update={
                "to": Mailbox(address=f"client{i:05d}@example.fr", name=f"Client {i}"),
                "idempotency_key": idempotency_key("bulk", str(i), "email", f"client{i:05d}"),
            }
        )
        for i in range(count)
    ]


def sent_ids(provider: BatchProvider, server: ProviderServer) -> list[str]:
    """Every Message-ID the server received, one per message per call."""
    return [provider.message_id(item) for r in server.requests for item in provider.items(r)]


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` (a state, not a duration: the deadline only stops a hung test)."""
    deadline = time.monotonic() + 30
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {what}")
        time.sleep(0.005)


# -- splitting ----------------------------------------------------------------------------


def test_a_large_send_is_cut_at_the_documented_count(
    provider: BatchProvider, server: ProviderServer
) -> None:
    rest = min(201, provider.limit - 1)
    count = 2 * provider.limit + rest  # 1,201 for Postmark, 149 for Mailjet
    messages = bulk(count)
    server.play(provider.name)
    with provider.make(server.url) as transport:
        receipts = transport.send_many(messages)
    sizes = sorted(len(provider.items(r)) for r in server.requests)
    assert sizes == [rest, provider.limit, provider.limit]
    # Every message went once, with its own headers, and has its own receipt, in order.
    assert sorted(sent_ids(provider, server)) == sorted(m.message_id for m in messages)
    assert [r.idempotency_key for r in receipts] == [m.idempotency_key for m in messages]
    assert [r.recipient for r in receipts] == [m.recipient for m in messages]
    assert len({r.message_id for r in receipts}) == count


def test_a_batch_keeps_every_messages_own_headers(
    provider: BatchProvider, server: ProviderServer
) -> None:
    messages = bulk(3, headers={"List-Unsubscribe": "<https://shop.example/u/1>"})
    server.play(provider.name)
    with provider.make(server.url) as transport:
        transport.send_many(messages)
    [request] = server.requests
    items = provider.items(request)
    assert [provider.message_id(item) for item in items] == [m.message_id for m in messages]
    single = provider.make(server.url)
    for message, item in zip(messages, items, strict=True):
        expected = single.build_request(message).json
        assert item == (expected if provider.name == "postmark" else expected["Messages"][0])


def test_a_batch_is_cut_at_the_byte_limit_an_instance_sets(
    provider: BatchProvider, server: ProviderServer
) -> None:
    messages = bulk(10)
    server.play(provider.name)
    with provider.make(server.url) as transport:
        one = transport.batch_size(messages[0])
        transport.batch_limits = BatchLimits(messages=provider.limit, bytes=3 * one + 100)
        receipts = transport.send_many(messages)
    assert len(receipts) == 10
    assert all(len(r.body) <= 3 * one + 100 for r in server.requests)
    assert sorted(len(provider.items(r)) for r in server.requests) == [1, 3, 3, 3]


def test_postmark_batches_stay_under_its_50_mb_limit(server: ProviderServer) -> None:
    # Three messages of ~17 MB of JSON each (13 MB PDFs, base64): 52 MB in one call is
    # more than Postmark takes, so two calls.
    raw = b"%PDF" * 3_250_000
    pdf = Attachment(
        filename="catalogue.pdf", content=base64.b64encode(raw), mimetype="application/pdf"
    )
    messages = bulk(3, attachments=(pdf,))
    server.play("postmark")
    with PostmarkTransport(SECRET, base_url=server.url) as postmark:
        receipts = postmark.send_many(messages)
    assert len(receipts) == 3
    assert sorted(len(_postmark_items(r)) for r in server.requests) == [1, 2]
    assert all(len(r.body) <= POSTMARK_BATCH_BYTES for r in server.requests)
    first = _postmark_items(server.requests[0])[0]
    assert base64.b64decode(first["Attachments"][0]["Content"]) == raw


# -- partial failures ---------------------------------------------------------------------


def test_one_bad_address_fails_alone_and_nothing_is_resent(
    provider: BatchProvider, server: ProviderServer
) -> None:
    count = provider.limit + 100
    messages = bulk(count)
    bad = messages[137]
    server.play(provider.name, bad=[bad.recipient])
    retry = RetryPolicy(attempts=3, base=0)  # would resend anything transient
    with provider.make(server.url, retry=retry) as transport:
        results = transport.send_many(messages, return_exceptions=True)
    assert len(server.requests) == -(-count // provider.limit)  # one call per batch, no more
    assert sorted(sent_ids(provider, server)) == sorted(m.message_id for m in messages)
    error = results[137]
    assert isinstance(error, PermanentTransportError)
    assert (error.code, error.accepted, error.transport) == (
        provider.refusal_code,
        False,
        provider.name,
    )
    assert error.provider_message is not None
    assert bad.recipient in error.provider_message
    others = [r for i, r in enumerate(results) if i != 137]
    assert all(isinstance(r, Receipt) for r in others)
    assert [r.idempotency_key for r in others if isinstance(r, Receipt)] == [
        m.idempotency_key for i, m in enumerate(messages) if i != 137
    ]


def test_without_return_exceptions_the_error_carries_every_other_receipt(
    provider: BatchProvider, server: ProviderServer
) -> None:
    messages = bulk(20)
    server.play(provider.name, bad=[messages[5].recipient])
    with provider.make(server.url) as transport, pytest.raises(PermanentTransportError) as caught:
        transport.send_many(messages)
    keys = {r.idempotency_key for r in caught.value.receipts}
    assert keys == {m.idempotency_key for i, m in enumerate(messages) if i != 5}


@pytest.mark.parametrize("status", [502, 504])
def test_a_gateway_error_leaves_the_whole_batch_unknown(
    provider: BatchProvider, server: ProviderServer, status: int
) -> None:
    messages = bulk(provider.limit + 10)
    server.script(status, f"<html><body>{status} from nginx</body></html>")
    server.play(provider.name)
    with provider.make(server.url, concurrency=1) as transport:
        results = transport.send_many(messages, return_exceptions=True)
    unknown = {provider.message_id(item) for item in provider.items(server.requests[0])}
    for message, result in zip(messages, results, strict=True):
        if message.message_id in unknown:
            assert isinstance(result, TransientTransportError)
            assert (result.accepted, result.code) == (None, status)  # never failed over
        else:
            assert isinstance(result, Receipt)
    assert len(unknown) == provider.limit


def test_an_unreadable_batch_answer_leaves_every_message_unknown(
    provider: BatchProvider, server: ProviderServer
) -> None:
    server.script(200, "<html>maintenance</html>")
    with provider.make(server.url) as transport:
        results = transport.send_many(bulk(4), return_exceptions=True)
    assert all(type(r) is TransportError and r.accepted is None for r in results)
    assert len(server.requests) == 1


def test_a_call_refused_whole_refuses_every_message_of_it(server: ProviderServer) -> None:
    server.script(401, {"ErrorCode": 10, "Message": "Bad or missing Server API token."})
    with PostmarkTransport(SECRET, base_url=server.url) as postmark:
        results = postmark.send_many(bulk(3), return_exceptions=True)
    assert all(isinstance(r, PermanentTransportError) and r.code == 10 for r in results)
    assert len({id(r) for r in results}) == 3  # each message owns its error


# -- 429: the whole transport slows down ---------------------------------------------------


@pytest.mark.parametrize(
    "retry", [None, RetryPolicy(attempts=2, base=0)], ids=["no-retry", "retry"]
)
def test_a_429_holds_back_every_request_of_the_transport_until_retry_after(
    server: ProviderServer, retry: RetryPolicy | None
) -> None:
    messages = bulk(50)
    server.play("postmark")
    server.script(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}, {"Retry-After": "0.5"})
    server.hold()  # the 429 goes at once; the other first call waits for the client to see it
    postmark = PostmarkTransport(SECRET, base_url=server.url, concurrency=2, retry=retry)
    postmark.batch_limits = BatchLimits(messages=10, bytes=POSTMARK_BATCH_BYTES)
    outcome: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcome.append(postmark.send_many(messages, return_exceptions=True))
    )
    worker.start()
    try:
        wait_until(lambda: len(server.requests) == 2, "the first two calls")
        wait_until(
            lambda: (gate := postmark.rate_gate) is not None and gate.opens_at > 0,
            "the client to read the 429",
        )
        server.release()
        worker.join()
    finally:
        server.release()
        postmark.close()
    [results] = outcome
    [(throttled, _, answered_at)] = [a for a in server.answered if a[1] == 429]
    later = server.requests[2:]  # every call after the first two, in flight at the 429
    assert all(r.at >= answered_at + 0.5 for r in later)  # by the server's clock
    refused = set(map(_postmark_message_id, _postmark_items(throttled)))
    for message, result in zip(messages, results, strict=True):
        if message.message_id in refused and retry is None:
            assert isinstance(result, TransientTransportError)
            assert (result.accepted, result.retry_after) == (False, 0.5)  # the outbox reschedules
        else:
            assert isinstance(result, Receipt)
    assert len(server.requests) == 5 + (retry is not None)


def test_the_gate_is_shared_by_the_sync_and_async_api(server: ProviderServer) -> None:
    server.script(429, {"ErrorCode": 429, "Message": "Rate limit exceeded"}, {"Retry-After": "0.3"})
    server.play("postmark")
    [first, second] = bulk(2)
    with PostmarkTransport(SECRET, base_url=server.url) as postmark:
        with pytest.raises(TransientTransportError):
            postmark.send(first)
        asyncio.run(postmark.asend(second))
    [(_, _, answered_at)] = [a for a in server.answered if a[1] == 429]
    assert server.requests[1].at >= answered_at + 0.3


# -- the engine: bounded concurrency, one client, both APIs, cancellation -----------------


@pytest.fixture
def single_postmark(server: ProviderServer) -> Iterator[PostmarkTransport]:
    """Postmark, one message a call (so 40 messages make 40 requests), at most 3 in flight."""
    server.play("postmark")
    postmark = PostmarkTransport(SECRET, base_url=server.url, concurrency=3)
    postmark.batch_limits = None
    yield postmark
    server.release()
    postmark.close()


def test_requests_in_flight_never_pass_the_bound(
    server: ProviderServer, single_postmark: PostmarkTransport
) -> None:
    server.hold()
    done: list[Any] = []
    callers = [
        threading.Thread(target=lambda: done.append(single_postmark.send_many(bulk(20))))
        for _ in range(2)
    ]
    for caller in callers:
        caller.start()
    wait_until(lambda: server.in_flight == 3, "three requests in flight")
    server.release()
    for caller in callers:
        caller.join()
    assert [len(receipts) for receipts in done] == [20, 20]
    assert server.max_in_flight == 3  # both callers together, bounded by the transport
    assert len({r.peer for r in server.requests}) <= 3  # one pool of at most 3 connections


def test_sync_and_async_calls_share_one_connection_pool(
    server: ProviderServer, single_postmark: PostmarkTransport
) -> None:
    first, second, third = bulk(3)
    single_postmark.send(first)

    async def go() -> list[Receipt]:
        one = await single_postmark.asend(second)
        return [one, *await single_postmark.asend_many([third])]

    receipts = asyncio.run(go())
    assert [r.idempotency_key for r in receipts] == [second.idempotency_key, third.idempotency_key]
    assert len({r.peer for r in server.requests}) == 1  # the sync call's connection, reused


def test_asend_many_batches_like_send_many(provider: BatchProvider, server: ProviderServer) -> None:
    messages = bulk(provider.limit + 1)
    server.play(provider.name, bad=[messages[0].recipient])

    async def go() -> list[Receipt | TransportError]:
        async with provider.make(server.url) as transport:
            return await transport.asend_many(messages, return_exceptions=True)

    results = asyncio.run(go())
    assert isinstance(results[0], PermanentTransportError)
    assert all(isinstance(r, Receipt) for r in results[1:])
    assert len(server.requests) == 2


def engine_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("relationclient-")]


def test_cancelling_asend_many_stops_it_and_the_transport_goes_on(
    server: ProviderServer, single_postmark: PostmarkTransport
) -> None:
    server.hold()
    messages = bulk(30)

    async def go() -> None:
        task = asyncio.ensure_future(single_postmark.asend_many(messages, return_exceptions=True))
        while server.in_flight < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    started = len(server.requests)
    assert started == 3  # no new request after the cancellation
    server.release()
    receipt = single_postmark.send(messages[0])  # the engine and its pool still work
    assert receipt.idempotency_key == messages[0].idempotency_key
    assert len(engine_threads()) == 1
    single_postmark.close()
    assert engine_threads() == []  # closing stops the engine's thread


def test_close_stops_the_engine_and_the_transport_can_be_used_again(
    server: ProviderServer,
) -> None:
    server.play("postmark")
    postmark = PostmarkTransport(SECRET, base_url=server.url)
    for _ in range(2):
        with postmark:
            postmark.send_many(bulk(3))
            assert len(engine_threads()) == 1
        assert engine_threads() == []
    assert len(server.requests) == 2


def test_the_batch_request_is_the_documented_json(server: ProviderServer) -> None:
    messages = bulk(2)
    server.play("postmark")
    with PostmarkTransport(SECRET, base_url=server.url) as postmark:
        postmark.send_many(messages)
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/email/batch")
    assert request.headers["x-postmark-server-token"] == SECRET
    assert json.loads(request.body) == [
        PostmarkTransport(SECRET).build_request(m).json for m in messages
    ]


def test_a_transport_dropped_without_close_stops_its_engine(server: ProviderServer) -> None:
    server.play("postmark")
    postmark = PostmarkTransport(SECRET, base_url=server.url)
    postmark.send_many(bulk(2))
    assert len(engine_threads()) == 1
    del postmark
    gc.collect()
    wait_until(lambda: engine_threads() == [], "the engine's thread to end")


def _send_in_child(postmark: PostmarkTransport, message: Email, answers: Any) -> None:
    answers.put(postmark.send(message).message_id)


def test_a_forked_worker_starts_an_engine_of_its_own(server: ProviderServer) -> None:
    # Celery's prefork workers inherit the parent's transport, whose engine thread
    # does not survive the fork.
    server.play("postmark")
    first, second = bulk(2)
    with PostmarkTransport(SECRET, base_url=server.url) as postmark:
        postmark.send(first)  # the parent's engine runs
        context = multiprocessing.get_context("fork")
        answers = context.Queue()
        child = context.Process(target=_send_in_child, args=(postmark, second, answers))
        child.start()
        provider_id = answers.get(timeout=30)
        child.join(timeout=30)
        assert child.exitcode == 0
        postmark.send(second)  # and the parent's still works
    assert [_postmark_message_id(_postmark_items(r)[0]) for r in server.requests] == [
        first.message_id,
        second.message_id,
        second.message_id,
    ]
    assert provider_id in {answer["MessageID"] for _, answer in server.played}
