"""The command line's rough edges: free ports, busy ports, --help, log lines, Socket Mode."""

from __future__ import annotations

import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import settings_from
from bot.server import _app_token_accepted
from tests.scratch import scratch_database_url

ROOT = Path(__file__).resolve().parents[2]
# Nothing answers on port 9: the bot starts anyway and logs its failed calls.
NOWHERE = "http://127.0.0.1:9"
BASE = {"SLACK_BOT_TOKEN": "xoxb-1-edge-token", "PIVOTAL_API_KEY": "pivotal_test_edge_key",
        "SLACK_SIGNING_SECRET": "edge-signing-secret", "LOG_LEVEL": "INFO",
        "PIVOTAL_API_URL": f"{NOWHERE}/api/v1", "SLACK_API_URL": f"{NOWHERE}/api/"}  # fmt: skip


def env(**values: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PIVOTAL_"))}
    return {**clean, **BASE, "DATABASE_URL": scratch_database_url(), **values}


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def run(*args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env(**values), cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


def test_port_0_binds_a_free_port_and_logs_it_in_key_value_lines() -> None:
    command = [sys.executable, "-m", "bot", "serve"]
    proc = subprocess.Popen(command, env=env(PORT="0", HOST="127.0.0.1"), cwd=ROOT,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # bounded by the process: it serves until told to stop
            lines.append(line)
            if "Application startup complete" in line:
                break
        start = next(line for line in lines if "event=bot.start " in line)
        port = int(re.search(r" port=(\d+)", start).group(1))  # type: ignore[union-attr]
        assert port != 0  # the port the socket handed to uvicorn was bound to
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    for line in lines:
        assert " level=" in line and " event=" in line, line  # uvicorn's too
    text = "".join(lines)
    assert 'event=log message="Started server process' in text
    assert "token` will be unused" not in text  # Bolt's warning about its own env read


def test_serve_on_a_busy_port_is_one_clean_line(busy_port: int) -> None:
    result = run("serve", PORT=str(busy_port), HOST="127.0.0.1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "event=bot.start.failed" in result.stderr and "PORT=0" in result.stderr


def test_sandbox_on_a_busy_port_is_one_clean_line(busy_port: int) -> None:
    result = run("sandbox", "--port", str(busy_port))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"cannot listen on 127.0.0.1:{busy_port}" in result.stderr
    assert "--port" in result.stderr


def test_help_describes_the_app() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "looks up customers in Pivotal" in result.stdout
    assert "argument parsing" not in result.stdout


async def test_socket_mode_blames_the_network_not_the_token_when_slack_is_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = settings_from(**{k.lower(): v for k, v in BASE.items()},
                             slack_app_token="xapp-1-edge")  # fmt: skip
    with caplog.at_level(logging.ERROR):
        assert not await _app_token_accepted(settings)
    (record,) = [r for r in caplog.records if "bot.socket.failed" in r.getMessage()]
    assert "Slack could not be reached" in record.getMessage()
    assert "SLACK_APP_TOKEN" not in record.getMessage()
