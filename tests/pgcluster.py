"""A throwaway PostgreSQL cluster for the tests and the benchmark: initdb in a temporary
folder, a local port, stopped and deleted at the end. The server binaries come from
$JIHUA_PG_BIN, `pg_config --bindir` or Debian's /usr/lib/postgresql/<version>/bin; as root,
the cluster runs as the unprivileged user `nobody` (PostgreSQL refuses to run as root)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

UNPRIVILEGED = "nobody"


def server_bin() -> Path | None:
    """The folder of initdb and pg_ctl, or None."""
    candidates = []
    if os.environ.get("JIHUA_PG_BIN"):
        candidates.append(Path(os.environ["JIHUA_PG_BIN"]))
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(out.stdout.strip()))
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: p.parent.name)
    candidates += reversed(versions)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Cluster:
    """``with Cluster(bindir) as c: url = c.create_database('x')``."""

    def __init__(self, bindir: Path, *, durable: bool = False) -> None:
        self.bindir = bindir
        self.durable = durable  # fsync on (the benchmark) or off (the tests)
        self.folder = Path(tempfile.mkdtemp(prefix="jihua-pg-"))
        self.port = 0
        self.user = UNPRIVILEGED if os.geteuid() == 0 else None

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=self.folder)
        if out.returncode:
            log = self.folder / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {out.stderr.strip()}\n{tail}")

    def start(self) -> Cluster:
        os.chmod(self.folder, 0o755)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        data = str(self.folder / "data")
        self._run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-locale", "--no-sync")
        self.port = _free_port()
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", data, "-l", str(self.folder / "server.log"), "-w",
                  "-t", "60", "-o", options, "start")
        return self

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, ctype: str | None = None) -> str:
        """A new empty database (with the character classes of locale ``ctype``, C by
        default); its URL."""
        import psycopg

        locale = f" TEMPLATE template0 LC_CTYPE '{ctype}'" if ctype else ""
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"{locale}')
        return self.url(name)

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as con:
            con.execute(sql)

    def stop(self) -> None:
        if self.port:
            try:
                self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w",
                          "stop")
            except RuntimeError:
                pass
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
