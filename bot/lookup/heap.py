"""After a walk replaces the index: keep the garbage collector off it, give pages back."""

from __future__ import annotations

import ctypes
import gc


def settle_heap() -> None:
    """Collect once, then exempt what is left (mostly the new index) from the cyclic GC.

    Hundreds of thousands of long-lived objects otherwise make every full collection
    walk them all, a pause of tens of milliseconds in the middle of a type-ahead answer.
    Nothing here holds cycles, so the old index is still freed by reference counting.
    """
    gc.collect()
    gc.freeze()
    _return_free_memory()


def _return_free_memory() -> None:
    """Hand the pages the old index and the walk's pages freed back to the system (glibc)."""
    try:
        libc = ctypes.CDLL(None)
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return
    trim(0)
