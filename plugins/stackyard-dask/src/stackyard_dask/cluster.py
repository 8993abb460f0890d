"""Reaching a Dask cluster: a running scheduler by address, or a ``LocalCluster`` started for one run."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from stackyard.exceptions import StackyardError

if TYPE_CHECKING:
    from distributed import Client


class DaskClusterError(StackyardError):
    """The Dask cluster cannot be reached or started, or cannot run a step as asked."""


def is_loopback(address: str) -> bool:
    """Whether the scheduler ``address`` (``tcp://host:port``) is on this machine (loopback)."""
    host = urlsplit(address if "://" in address else f"tcp://{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@contextmanager
def connect(
    address: str,
    *,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
    worker_resources: Mapping[str, float] | None = None,
    timeout: float = 10.0,
) -> Iterator[Client]:
    """A client of the scheduler at ``address``; with no address, of a ``LocalCluster`` stopped on exit."""
    from distributed import Client, LocalCluster

    if address:
        try:
            client = Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise DaskClusterError(
                f"The Dask scheduler at '{address}' cannot be reached ({type(exc).__name__}: {exc}); start it "
                "(`dask scheduler`, then `dask worker ADDRESS`) or unset `address` to start a LocalCluster per run."
            ) from None
        try:
            yield client
        finally:
            client.close()
        return
    try:
        # Workers in processes talk TCP on loopback only; workers as threads of this process use
        # Dask's in-process transport, whose addresses are not host names (a host breaks it).
        loopback = {"host": "127.0.0.1"} if processes else {}
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            **loopback,
            dashboard_address=":0",  # a free port: never collide with another cluster
            resources=dict(worker_resources or {}) or None,
            silence_logs=logging.WARNING,
        )
    except Exception as exc:  # noqa: BLE001 - e.g. no free port, a worker that cannot start
        raise DaskClusterError(f"A Dask LocalCluster could not be started: {type(exc).__name__}: {exc}") from None
    try:
        with Client(cluster, set_as_default=False) as client:
            yield client
    finally:
        cluster.close()


def worker_resources(client: Client) -> list[dict[str, float]]:
    """The resources each worker of ``client``'s cluster offers (``dask worker --resources``)."""
    try:
        info = client.scheduler_info(n_workers=-1)  # newer releases list only a few workers by default
    except TypeError:
        info = client.scheduler_info()
    return [dict(worker.get("resources") or {}) for worker in info["workers"].values()]


def offered(workers: Iterable[Mapping[str, float]], resources: Mapping[str, float]) -> bool:
    """Whether some of ``workers`` (each one's resources, see :func:`worker_resources`) offers at least ``resources``.

    Dask would wait forever for a task no worker can take.
    """
    return any(all(worker.get(k, 0) >= v for k, v in resources.items()) for worker in workers)
