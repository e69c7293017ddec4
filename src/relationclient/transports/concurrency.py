"""The one concurrency engine: every concurrent send, sync or async, runs on a transport's own loop.

A transport that sends concurrently (the HTTP providers, SMTP) owns an
:class:`Engine`: one event loop in one daemon thread, started on first use,
where all of its sending runs — whichever API the shop calls.

* The blocking API (``send``, ``send_many``) hands a coroutine to the loop and
  waits for its result (:meth:`Engine.run`).
* The asyncio API (``asend``, ``asend_many``) hands the same coroutine to the
  same loop and awaits it without blocking the caller's loop
  (:meth:`Engine.arun`). Cancelling the caller cancels the work on the engine,
  waits until it has stopped, then raises :class:`asyncio.CancelledError`.

So there is one connection pool per transport (one :class:`httpx.AsyncClient`,
which lives on the engine's loop), one bound on the requests in flight and one
rate gate, shared by every thread and every event loop that uses the
transport. Why a loop of its own rather than the caller's: an
``httpx.AsyncClient`` belongs to the loop it first ran on, and a sync caller has
no loop at all; hosting the work in one place is what lets both APIs share the
pool instead of growing two.

:func:`run_units` is the scheduler both APIs use: units of work (one message,
or one provider batch of many) taken by at most ``concurrency`` workers,
results kept in input order, ``return_exceptions`` semantics, no new unit taken
after a failure when exceptions are raised, and the raised error carrying in
``receipts`` every message accepted meanwhile. :class:`RateGate` is the
transport-wide brake a 429 pulls.

An engine survives ``fork`` (Celery's prefork workers): a child process that
finds an engine started by its parent starts its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from ..errors import TransportError

__all__ = ["Engine", "RateGate", "Result", "collect", "run_units"]

T = TypeVar("T")

#: What a send gives for one message: its receipt, or its error. (A ``Receipt``
#: is typed ``Any`` here to keep this module below ``base`` in the layers.)
Result = Any


class RateGate:
    """A transport-wide gate: after a 429, no new request starts before the provider's moment.

    It lives on the engine's loop; :meth:`close_for` moves the opening time
    later (never earlier), :meth:`wait` returns once it has passed.
    """

    def __init__(self) -> None:
        self._opens_at = 0.0

    @property
    def opens_at(self) -> float:
        """The loop time (:func:`time.monotonic`) before which no request starts."""
        return self._opens_at

    def close_for(self, seconds: float) -> None:
        """Let no new request start for ``seconds`` from now."""
        loop = asyncio.get_running_loop()
        self._opens_at = max(self._opens_at, loop.time() + max(seconds, 0.0))

    async def wait(self) -> None:
        """Return once the gate is open (at once when it is)."""
        loop = asyncio.get_running_loop()
        while (left := self._opens_at - loop.time()) > 0:
            await asyncio.sleep(left)


class Engine:
    """One event loop in one daemon thread, hosting a transport's concurrent sends.

    Thread-safe: any number of threads and event loops may submit work at
    once. :meth:`close` (or :meth:`aclose`) runs the transport's clean-up on
    the loop, then stops the loop and joins its thread; the engine starts again
    on the next submission.

    Args:
        name: Names the thread (``relationclient-<name>``), for debugging.
        cleanup: A coroutine function run on the loop before it stops, given
            :attr:`state` (to close the transport's ``httpx.AsyncClient``…).
            It must not hold the transport, so that a transport dropped
            without ``close()`` can still be collected and halt its engine
            (:meth:`halt`, through :func:`weakref.finalize`).
    """

    def __init__(
        self,
        name: str,
        cleanup: Callable[[dict[str, Any]], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self._cleanup = cleanup
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        #: Loop-bound state of the transport (client, semaphore, gate), dropped on close.
        self.state: dict[str, Any] = {}

    # -- the loop ---------------------------------------------------------------------
    @property
    def thread(self) -> threading.Thread | None:
        """The engine's thread while it runs, else None."""
        return self._thread

    def _started(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._pid != os.getpid():  # a forked child: the parent's thread is not here
                self._loop, self._thread, self.state = None, None, {}
                self._pid = os.getpid()
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._serve,
                    args=(loop,),
                    name=f"relationclient-{self.name}",
                    daemon=True,
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _serve(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            loop.close()

    def _submit(
        self, coroutine: Coroutine[Any, Any, T]
    ) -> tuple[concurrent.futures.Future[T], concurrent.futures.Future[None]]:
        """Start ``coroutine`` on the loop: (its result, a future done once its task ended).

        Cancelling the result cancels the task; the second future is set when
        the task is over, even when it was cancelled before it could start.
        """
        loop = self._started()
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError(
                f"{self.name}: a blocking send was called from the transport's own engine "
                "thread, where it would wait for itself"
            )
        result: concurrent.futures.Future[T] = concurrent.futures.Future()
        ended: concurrent.futures.Future[None] = concurrent.futures.Future()

        def start() -> None:
            task = loop.create_task(coroutine)

            def finished(task: asyncio.Task[T]) -> None:
                ended.set_result(None)
                with contextlib.suppress(concurrent.futures.InvalidStateError):
                    if task.cancelled():
                        result.cancel()
                    elif (error := task.exception()) is not None:
                        result.set_exception(error)
                    else:
                        result.set_result(task.result())

            def cancel(future: concurrent.futures.Future[T]) -> None:
                if future.cancelled():
                    loop.call_soon_threadsafe(task.cancel)

            task.add_done_callback(finished)
            result.add_done_callback(cancel)

        loop.call_soon_threadsafe(start)
        return result, ended

    # -- submitting work ----------------------------------------------------------------
    def run(self, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``work()`` on the engine and block until its result (for the sync API).

        An interruption of the waiting thread (``KeyboardInterrupt``) cancels
        the work and waits for it to stop before propagating.
        """
        result, ended = self._submit(work())
        try:
            return result.result()
        except BaseException:
            if not result.done():
                result.cancel()
                ended.result()
            raise

    async def arun(self, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run ``work()`` on the engine without blocking the caller's loop (for the async API).

        Cancelling the caller cancels the work on the engine; the
        :class:`asyncio.CancelledError` is raised once that work has stopped,
        so nothing of it is still running when the caller learns of it.
        """
        result, ended = self._submit(work())
        try:
            return await asyncio.wrap_future(result)
        except asyncio.CancelledError:
            result.cancel()
            await asyncio.shield(asyncio.wrap_future(ended))
            raise

    # -- closing ------------------------------------------------------------------------
    def close(self) -> None:
        """Run the clean-up on the loop, stop the loop and join its thread; idempotent."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop, self._thread = None, None
            if self._pid != os.getpid():
                self.state = {}
                return
        if loop is None or thread is None:
            return
        if threading.current_thread() is thread:
            raise RuntimeError(f"{self.name}: close() called from the engine's own thread")
        try:
            asyncio.run_coroutine_threadsafe(self._finish(), loop).result()
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join()

    async def aclose(self) -> None:
        """:meth:`close` without blocking the caller's loop."""
        await asyncio.to_thread(self.close)

    def halt(self) -> None:
        """Stop the loop without waiting for it (for a finalizer, which may run anywhere)."""
        with self._lock:
            loop, self._loop, self._thread = self._loop, None, None
            if self._pid != os.getpid():
                return
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                asyncio.run_coroutine_threadsafe(self._finish(stop=True), loop)

    async def _finish(self, *, stop: bool = False) -> None:
        try:
            if self._cleanup is not None:
                await self._cleanup(self.state)
        finally:
            self.state = {}
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)
            if stop:
                asyncio.get_running_loop().stop()


async def run_units(
    units: Sequence[Sequence[int]],
    work: Callable[[Sequence[int]], Awaitable[Sequence[Result]]],
    *,
    count: int,
    concurrency: int,
    return_exceptions: bool,
) -> list[Result]:
    """Run ``work`` over ``units`` with at most ``concurrency`` at once; one result per message.

    Args:
        units: Each unit lists the indexes (into the caller's ``count`` messages)
            that one call of ``work`` sends: one message, or one provider batch.
        work: Sends one unit and gives one result per index, in the unit's
            order: a receipt or a :class:`~relationclient.TransportError`.
            Any other exception stops everything and propagates.
        count: How many messages there are in all.
        concurrency: Units in progress at once, at most.
        return_exceptions: When true, every unit is sent and errors are
            returned in their messages' places. When false, no new unit is
            taken once one has failed; the error of the first failed message
            (in input order) is raised, its ``receipts`` holding every receipt
            of the messages accepted meanwhile, later ones included.

    Returns:
        One result per message, in input order.
    """
    results: list[Result | None] = [None] * count
    todo = iter(units)
    failed = False

    async def worker() -> None:
        nonlocal failed
        for unit in todo:
            if failed and not return_exceptions:
                return
            done = await work(unit)
            for index, result in zip(unit, done, strict=True):
                results[index] = result
                if isinstance(result, TransportError):
                    failed = True

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, min(concurrency, len(units))))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return collect(results, return_exceptions=return_exceptions)


def collect(results: Sequence[Result | None], *, return_exceptions: bool) -> list[Result]:
    """The results of the messages that were sent (None: not taken), in input order.

    When not ``return_exceptions``, the error of the first failed message is
    raised instead, its ``receipts`` holding every receipt among ``results``.
    """
    done = [result for result in results if result is not None]
    if not return_exceptions:
        for result in done:
            if isinstance(result, TransportError):
                result.receipts = [r for r in done if not isinstance(r, TransportError)]
                raise result
    return done
