"""One log line per event: a fixed event name and key=value fields, secrets redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
# Third-party loggers that print request headers (and so tokens) at DEBUG.
_CHATTY = ("slack_sdk", "slack_bolt", "httpx", "httpcore", "aiohttp", "hpack")


def event(logger: logging.Logger, name: str, level: int = logging.INFO, **fields: object) -> None:
    """Log `name` with its fields as `event=name k=v ...`, quoting values with spaces."""
    if not logger.isEnabledFor(level):
        return
    parts = [f"event={name}"]
    parts.extend(f"{key}={_value(value)}" for key, value in fields.items())
    logger.log(level, " ".join(parts))


def _value(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    text = str(value)
    if not text or any(ch.isspace() or ch in '"=' for ch in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class KeyValueLines(logging.Filter):
    """Lines other libraries log (uvicorn, Bolt) as `event=log message="…"`, like ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("event="):
            record.msg, record.args = f"event=log message={_value(message)}", None
        return True


class RedactSecrets(logging.Filter):
    """Replaces every known secret in a formatted record, whatever logged it."""

    def __init__(self, secrets: Iterable[str]):
        super().__init__()
        self._secrets = tuple(sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Tracebacks carry exception messages; format them here so they are redacted too.
            record.exc_text = self._redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(level: int, secrets: Iterable[str] = ()) -> None:
    """Send key=value lines to stderr at `level`; third-party DEBUG output stays off."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pivotal_bot", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(KeyValueLines())
    handler.addFilter(RedactSecrets(secrets))
    handler._pivotal_bot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.INFO))
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
