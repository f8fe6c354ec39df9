"""fastpath.host.smoke_server_stats against a real Unix stream socket that answers like fastpath-server
(one document per connection, then EOF), and through ansible for the error messages."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ansible_collections.fastpath.host.plugins.modules import smoke_server_stats as mod

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def serve(tmp_path):
    """Serve `payload` once on a Unix socket in tmp_path, as the server does; yields a starter."""
    threads = []

    def start(payload: bytes) -> str:
        path = str(tmp_path / "stats.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(path)
        listener.listen(1)

        def answer():
            with listener:
                conn, _address = listener.accept()
                with conn:
                    conn.sendall(payload)

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        threads.append(thread)
        return path

    yield start
    for thread in threads:
        thread.join(timeout=5)


def test_reads_the_whole_document_the_server_wrote(serve):
    payload = (FIXTURES / "server-stats-after.json").read_bytes()
    stats = mod.read_stats(serve(payload), timeout=5)
    assert stats["totals"]["rx_packets"] == 16000
    assert stats == json.loads(payload)


def test_a_document_that_is_not_json_is_refused(serve):
    with pytest.raises(ValueError):
        mod.read_stats(serve(b"fastpath-server 1.0\n"), timeout=5)


def run_module(args: str) -> dict:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    argv = [str(Path(sys.executable).parent / "ansible"), "localhost",
            "-m", "fastpath.host.smoke_server_stats", "-a", args,
            "-e", f"ansible_python_interpreter={sys.executable}"]
    out = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=120, env=env, check=False)
    return json.loads(out.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def test_a_missing_socket_says_where_it_looked_and_what_to_check(tmp_path):
    result = run_module(f"socket={tmp_path}/none.sock")
    assert result["failed"] is True
    assert result["msg"] == (
        f"cannot read fastpath-server's stats at {tmp_path}/none.sock: No such file or directory; "
        "is the server running (systemctl status fastpath-server) with stats_socket set?"
    )


def test_a_socket_that_is_not_the_servers_is_named(serve):
    path = serve(b'{"hello": 1}')
    result = run_module(f"socket={path}")
    assert result["msg"] == f"the document at {path} is not fastpath-server's stats (no 'totals' object)"
