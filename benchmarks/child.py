"""What the bench's child processes share: the ready line, stop-on-EOF and /proc readings."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
from typing import Any

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def announce(info: dict[str, Any]) -> None:
    """The one line on stdout the orchestrator waits for."""
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()


MAX_LIFETIME = 1800.0  # seconds a child serves at most, should its parent never say "stop"


def stdin_closed() -> asyncio.Event:
    """An event set when stdin reaches EOF: the orchestrator's way to say "stop"."""
    loop = asyncio.get_running_loop()
    closed = asyncio.Event()

    def wait() -> None:
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            loop.call_soon_threadsafe(closed.set)

    threading.Thread(target=wait, name="stdin-eof", daemon=True).start()
    return closed


def rss_mb(pid: int | None = None) -> float:
    """Resident set size (VmRSS) of `pid` (default: this process) in MB."""
    with open(f"/proc/{pid or os.getpid()}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
