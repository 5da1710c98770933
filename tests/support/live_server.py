"""Run `server.py serve` as a real uvicorn process on a free loopback port."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class LiveServer:
    """A running server process, its base URL and what it printed."""

    process: subprocess.Popen
    url: str
    output_path: Path

    def output(self) -> str:
        """Return everything the process wrote to stdout and stderr so far."""
        return self.output_path.read_text()


def _wait_until_healthy(server: LiveServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.output()}")
        try:
            if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"server did not answer /healthz in {START_TIMEOUT_SECONDS}s:\n{server.output()}"
    )


@contextmanager
def live_server(env: dict[str, str], work_dir: Path) -> Iterator[LiveServer]:
    """Start the server with extra environment variables; stop it when the block ends."""
    port = free_port()
    output_path = work_dir / f"server-{port}.log"
    environment = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    with output_path.open("w") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                str(REPOSITORY / "server.py"),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=work_dir,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", output_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
