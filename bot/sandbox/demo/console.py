"""The demo's terminal side: lines read on the main thread, the bot on a thread of its own.

The main thread keeps the terminal so that Ctrl-C reaches it at once, whether it is reading
a line (readline gives editing and history) or waiting for the bot; a line read in an
executor thread could not be interrupted, and the process waited for Enter.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import termios
import threading
from collections.abc import Coroutine
from contextlib import AbstractAsyncContextManager
from typing import Any, Generic, TextIO, TypeVar

_T = TypeVar("_T")
_R = TypeVar("_R")


def enable_line_editing() -> bool:
    """Turn on readline for input() (arrow keys, history); False where there is none."""
    try:
        import readline
    except ImportError:  # not every Python has it (Windows)
        return False
    readline.parse_and_bind("set enable-bracketed-paste off")  # no escape codes in pastes
    return True


def read_line(stdin: TextIO, prompt: str, *, terminal: bool) -> str | None:
    """One line without its newline, or None at end of input (Ctrl-D)."""
    if terminal:
        try:
            return input(prompt)
        except EOFError:
            return None
    line = stdin.readline()
    return line.rstrip("\n") if line else None


class BotThread(Generic[_T]):
    """Runs an async context (the local stack) on an event loop in a background thread."""

    def __init__(self, context: AbstractAsyncContextManager[_T]):
        self._context = context
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="bot", daemon=True)
        self._entered: concurrent.futures.Future[_T] = concurrent.futures.Future()
        self._stop = asyncio.Event()
        self._done: concurrent.futures.Future[None] | None = None

    def _run(self) -> None:
        # The kernel hands a process signal to any thread that does not block it; blocked
        # here (and in the threads this one starts), Ctrl-C always wakes the main thread.
        if hasattr(signal, "pthread_sigmask"):
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        self._loop.run_forever()

    def start(self) -> _T:
        """Enter the context on the bot's loop and return what it yields (interruptible)."""
        self._thread.start()
        self._done = asyncio.run_coroutine_threadsafe(self._hold(), self._loop)
        self._done.add_done_callback(self._failed_early)
        return self._entered.result()

    async def _hold(self) -> None:
        async with self._context as value:
            self._entered.set_result(value)
            await self._stop.wait()

    def _failed_early(self, done: concurrent.futures.Future[None]) -> None:
        if not self._entered.done():
            error = None if done.cancelled() else done.exception()
            self._entered.set_exception(error or RuntimeError("the bot stopped while starting"))

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def call(self, work: Coroutine[Any, Any, _R]) -> _R:
        """Run `work` on the bot's loop and wait for it; Ctrl-C cancels it and propagates."""
        future = asyncio.run_coroutine_threadsafe(work, self._loop)
        try:
            return future.result()
        except BaseException:  # Ctrl-C (KeyboardInterrupt) included: cancel, then re-raise
            future.cancel()
            raise

    def stop(self, timeout: float) -> bool:
        """Leave the context and end the thread within `timeout` s; False if it did not."""
        if self._done is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            try:
                self._done.result(timeout)
            except (concurrent.futures.TimeoutError, concurrent.futures.CancelledError):
                return False
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        self._loop.close()
        return True


class CtrlC:
    """Makes Ctrl-C end the demo even when readline misses it.

    Typed right after other keys, Ctrl-C can be lost inside readline: the terminal drops the
    keys not yet read, and readline goes back to waiting for them without looking at the
    signal. Python's C-level handler still writes to the wakeup fd, which the bot's loop
    watches; when the main thread has not claimed the interrupt within `grace` seconds, the
    loop restores the terminal, says goodbye and ends the process itself.
    """

    def __init__(self, out: TextIO, goodbye: str, *, terminal_fd: int, grace: float = 0.5):
        self._out, self._goodbye, self._fd, self._grace = out, goodbye, terminal_fd, grace
        self._claimed = threading.Lock()
        self._reader, self._writer = socket.socketpair()
        self._saved: list[Any] | None = None

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Watch for SIGINT on `loop` (call from the main thread, before reading lines)."""
        for sock in (self._reader, self._writer):
            sock.setblocking(False)
        with contextlib.suppress(termios.error):
            self._saved = termios.tcgetattr(self._fd)
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        loop.call_soon_threadsafe(loop.add_reader, self._reader.fileno(), self._woken, loop)

    def uninstall(self) -> None:
        signal.set_wakeup_fd(-1)

    def claim(self) -> bool:
        """True for the first to handle the interrupt (the main thread or the watchdog)."""
        return self._claimed.acquire(blocking=False)

    def _woken(self, loop: asyncio.AbstractEventLoop) -> None:
        with contextlib.suppress(BlockingIOError):
            if signal.SIGINT in self._reader.recv(64):
                loop.call_later(self._grace, self._force)

    def _force(self) -> None:
        if not self.claim():
            return
        if self._saved is not None:
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self._fd, termios.TCSANOW, self._saved)
        print(f"\n{self._goodbye}", file=self._out, flush=True)
        os._exit(0)
