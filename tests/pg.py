"""A PostgreSQL server with PostGIS for the tests: the one CI started, or a throwaway one.

:func:`postgis_server` yields a ``postgresql://`` URL:

* ``LANDUSE_TEST_PG_URL`` when it is set (``.ci/start-postgis.sh`` prints it);
* else a cluster of its own: ``initdb`` into a temporary folder, started on a
  free loopback port with ``pg_ctl``, ``CREATE EXTENSION postgis``, and
  stopped and removed afterwards. As root, the server programs run as the
  ``postgres`` user (PostgreSQL refuses to run as root).

When neither works it raises :class:`ServerUnavailable`; the fixture turns that
into a skip, or into a failure under ``CI``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ServerUnavailable", "postgis_server"]

DATABASE = "landuse_test"


class ServerUnavailable(RuntimeError):
    """No PostgreSQL with PostGIS could be reached or started."""


def _bindir() -> Path:
    """Return the newest ``/usr/lib/postgresql/<version>/bin``, else where ``initdb`` is on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if found:
        return Path(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise ServerUnavailable(
        "no PostgreSQL server programs (initdb) found; apt-get install postgresql"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """Run ``args`` as ``postgres`` when we are root (the server refuses root)."""
    if os.geteuid() != 0:
        return args
    try:
        pwd.getpwnam("postgres")
    except KeyError as err:
        raise ServerUnavailable("running as root and there is no 'postgres' user") from err
    runuser = shutil.which("runuser")
    if runuser is None:
        raise ServerUnavailable("running as root and runuser is missing")
    return [runuser, "-u", "postgres", "--", *args]


def _run(args: list[str], **kwargs: object) -> None:
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=120, **kwargs)
    if done.returncode != 0:
        raise ServerUnavailable(
            f"{Path(args[0]).name} {' '.join(args[1:3])} failed: "
            f"{(done.stderr or done.stdout).strip()[-800:]}"
        )


def _check(url: str) -> None:
    """Connect to ``url`` and make sure PostGIS is there."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            conn.execute("SELECT postgis_version()")
    except psycopg.Error as err:
        raise ServerUnavailable(
            f"cannot use LANDUSE_TEST_PG_URL: {str(err).splitlines()[0]}"
        ) from err


@contextlib.contextmanager
def _throwaway() -> Iterator[str]:
    bindir = _bindir()
    if not (
        Path("/usr/share/postgresql").exists()
        and glob.glob("/usr/share/postgresql/*/extension/postgis.control")
    ):
        raise ServerUnavailable("PostGIS is not installed; apt-get install postgresql-15-postgis-3")
    root = Path(tempfile.mkdtemp(prefix="landuse-pg-"))
    data = root / "data"
    started = False
    try:
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        _run(
            _as_server_user(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
        )
        port = _free_port()
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        _run(
            _as_server_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(root / "log"),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            )
        )
        started = True
        admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
        import psycopg

        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")
        url = f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
        _check(url)
        yield url
    finally:
        if started:
            subprocess.run(
                _as_server_user(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                check=False,
                timeout=60,
            )
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def postgis_server() -> Iterator[str]:
    """Yield the URL of a PostgreSQL database with PostGIS.

    Raises
    ------
    ServerUnavailable
        When ``LANDUSE_TEST_PG_URL`` does not work, or no server could be started.
    """
    url = os.environ.get("LANDUSE_TEST_PG_URL")
    if url:
        _check(url)
        yield url
        return
    try:
        import psycopg  # noqa: F401
    except ImportError as err:
        raise ServerUnavailable("psycopg is not installed (pip install landuse[postgis])") from err
    with _throwaway() as url:
        yield url
