"""A throwaway PostgreSQL server on 127.0.0.1, for tests, benchmarks and examples.

It uses Debian's PostgreSQL where ``initdb`` is installed, else the server
bundled by the ``pgserver`` package (``pip install pgserver``), so it works on a
machine with only Python and pip. PostgreSQL refuses to run as root: as root
the server runs as the ``postgres`` user (Debian) or a ``pgserver`` user
(created if missing), with its data in a temporary folder that user owns.

    with ThrowawayPostgres.start() as server:
        print(server.url("mydb"))   # postgresql+psycopg://postgres@127.0.0.1:PORT/mydb
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

SOURCE_ENV = "STACKYARD_SQL_POSTGRES"
"""``debian`` or ``pgserver`` to choose the server's binaries (default: Debian's where installed)."""

PASSWORD_USER = "stackyard_pw"
"""A role that must log in with a password (scram-sha-256), for tests of the password parameter."""
PASSWORD = "throwaway-pw-7d1c"


def find_binaries(source: str | None = None) -> tuple[Path, str]:
    """The folder holding ``initdb`` and ``pg_ctl``, and where it came from (``debian`` or ``pgserver``)."""
    source = source or os.environ.get(SOURCE_ENV) or None
    if source in (None, "debian"):
        for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
            return Path(candidate).parent, "debian"
        if source == "debian":
            raise RuntimeError("Debian's PostgreSQL is not installed; apt-get install postgresql, or use pgserver.")
    import importlib.util

    spec = importlib.util.find_spec("pgserver")  # its folder only: importing it has side effects
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("No PostgreSQL to start: install Debian's (apt-get install postgresql) or pip install pgserver.")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin", "pgserver"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayPostgres:
    """A PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 only; :meth:`stop` removes it."""

    def __init__(self, bin_dir: Path, source: str) -> None:
        self.bin_dir = bin_dir
        self.source = source
        self.port = _free_port()
        self.user: str | None = None
        self._copied: Path | None = None
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            self.user = "postgres" if source == "debian" else "pgserver"
            _ensure_user(self.user)
            if not _can_run(self.user, bin_dir / "initdb"):
                # pgserver's binaries live in the venv, which may sit below a folder only root can
                # enter (mktemp -d makes them 0700): run a readable copy of its installation instead.
                # The package folder and its sibling ``pgserver.libs`` keep their relative layout:
                # the binaries find their shared libraries through it.
                package = bin_dir.parent.parent
                self._copied = Path(tempfile.mkdtemp(prefix="stackyard-pginstall-"))
                for folder in (package, package.with_name(f"{package.name}.libs")):
                    if folder.is_dir():
                        shutil.copytree(folder, self._copied / folder.name, symlinks=True)
                self._copied.chmod(0o755)
                self.bin_dir = self._copied / package.name / bin_dir.parent.name / bin_dir.name
        self.data = Path(tempfile.mkdtemp(prefix="stackyard-pg-"))
        if self.user:
            shutil.chown(self.data, self.user)

    @classmethod
    def start(cls, source: str | None = None) -> ThrowawayPostgres:
        """Make and start a new cluster (about a second); trust for ``postgres``, a password for :data:`PASSWORD_USER`."""
        server = cls(*find_binaries(source))
        try:
            server._init()
            server._run("pg_ctl", "-D", str(server.data), "-l", str(server.data / "log"), "-w",
                        "-o", f"-h 127.0.0.1 -p {server.port} -k {server.data} -c max_connections=200", "start")
            server.sql(f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
        except BaseException:
            server.stop()
            raise
        return server

    def _init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--auth=trust", "--no-sync")
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\n"
            f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n"
            "host all all 127.0.0.1/32 trust\n"
        )

    def _run(self, program: str, *args: str) -> str:
        command = [str(self.bin_dir / program), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.data, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            log = self.data / "log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()} {tail}")
        return done.stdout

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3) of ``database`` as ``user``, without password."""
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement outside a transaction (``CREATE DATABASE`` …) as ``postgres``."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database, autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.data, ignore_errors=True)
        if self._copied is not None:
            shutil.rmtree(self._copied, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()


def _can_run(user: str, program: Path) -> bool:
    """Whether ``user`` can execute ``program``: every folder above it must let that user in."""
    done = subprocess.run(["runuser", "-u", user, "--", "test", "-x", str(program)], capture_output=True)
    return done.returncode == 0


def _ensure_user(name: str) -> None:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", name], check=True,
                       capture_output=True)
