"""``stackyard dashboard``: serve the dashboard on loopback until Ctrl+C."""

from __future__ import annotations

import socket
from typing import Any

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (keep it on loopback: the dashboard has no login).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port to listen on  [default: a free one].")
@click.option("--no-browser", is_flag=True, help="Do not open the dashboard in a web browser.")
def dashboard(host: str, port: int, no_browser: bool) -> None:
    """Serve a read-only web dashboard of the active profile: stacks, components, flavors, pipelines and runs.

    It reads every stack's metadata store; stop it with Ctrl+C.
    """
    from stackyard_cli.errors import UserError
    from stackyard_cli.session import open_repository

    from stackyard.exceptions import StackyardError

    try:
        open_repository()  # the "Running with active profile" line, and a damaged profile fails here
    except StackyardError as exc:
        raise UserError(str(exc), exc) from exc
    sock = _listen(host, port)
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
    url = f"http://{shown}:{bound[1]}/"
    from stackyard_dashboard.app import LOOPBACK_HOSTS  # starlette: only once the command runs

    if host not in LOOPBACK_HOSTS:
        click.echo(f"Warning: listening on {host}, not on loopback: anyone who can reach it sees your stacks and runs.", err=True)
    _serve(sock, host, url, open_browser=not no_browser)


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` (port 0: a free one), or one clean error naming the fix."""
    from stackyard_cli.errors import UserError

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UserError(f"Cannot listen on host '{host}': {exc}; use --host 127.0.0.1.") from exc
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if port:
            raise UserError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port, or leave it out to take a free one."
            ) from exc
        raise UserError(f"Cannot listen on {host}: {exc.strerror or exc}; use --host 127.0.0.1.") from exc
    sock.listen(128)
    return sock


def _serve(sock: socket.socket, host: str, url: str, *, open_browser: bool) -> None:
    import uvicorn

    from stackyard_dashboard.app import LOOPBACK_HOSTS, create_app

    allowed = [*LOOPBACK_HOSTS, host]
    config = uvicorn.Config(create_app(allowed), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    announce = _Announce(server, url, open_browser)
    announce.start()
    server.run(sockets=[sock])


class _Announce:
    """Prints the URL (and opens the browser) once the server accepts connections."""

    def __init__(self, server: Any, url: str, open_browser: bool) -> None:
        self.server, self.url, self.open_browser = server, url, open_browser

    def start(self) -> None:
        import threading

        threading.Thread(target=self._wait, name="dashboard-announce", daemon=True).start()

    def _wait(self) -> None:
        import time

        while not self.server.started:
            if self.server.should_exit:
                return
            time.sleep(0.01)
        click.echo(f"Stackyard dashboard: {self.url}  (read-only; Ctrl+C stops it)")
        _warm_up()
        if self.open_browser:
            import webbrowser

            webbrowser.open(self.url)


def _warm_up() -> None:
    """Discover plugins and open the metadata stores once, so the first page the browser asks for is quick."""
    from stackyard_dashboard import data

    try:
        data.runs(data.repository(), per_page=1)
    except Exception:  # noqa: BLE001 - the page itself will show what is wrong
        pass
