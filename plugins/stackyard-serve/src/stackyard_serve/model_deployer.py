"""The ``local`` model deployer: each model behind its own HTTP server on 127.0.0.1.

A deployment starts ``python -m stackyard_serve.server`` as a detached
background process (its output in its own log file) that loads the model
artifact through the materializer that wrote it and serves ``POST /predict``
and ``GET /health`` with Starlette on Uvicorn. It outlives the run that
deployed it; its record stays in the deployer's folder (by default under the
active profile's folder), so the CLI finds it again later.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from stackyard.model_deployers import BaseModelDeployer, ModelDeploymentError
from stackyard.model_deployers.base_model_deployer import RUNNING, STOPPED

HOST = "127.0.0.1"
"""Servers listen on loopback only: nothing else on the network can reach them."""

SERVER_MODULE = "stackyard_serve.server"


class LocalModelDeployer(BaseModelDeployer):
    """Serves each deployed model over HTTP on 127.0.0.1 from a background process (Starlette + Uvicorn)."""

    FLAVOR: ClassVar[str] = "local"

    root: str | None = None
    """Folder keeping the servers' records and logs (default: model_servers/<uuid> in the active profile's folder)."""

    startup_timeout: float = 60.0
    """Seconds a new server has to answer /health before the deployment fails."""

    # -- where records live ------------------------------------------------------------

    def _services(self) -> Any:
        from stackyard_serve.services import ServiceFolder

        return ServiceFolder(self._root())

    def _root(self) -> Path:
        if self.root:
            return Path(self.root).expanduser()
        from stackyard import Repository

        return Repository().active_profile.store_path / "model_servers" / str(self.uuid)

    # -- the contract ------------------------------------------------------------------

    def deploy_model(self, model_uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
        from stackyard_serve import services

        for key in ("materializer", "artifact_store"):
            if not config.get(key):
                raise ModelDeploymentError(f"Cannot deploy {model_uri}: the deployment config needs '{key}'.")
        folder = self._services()
        server_id = uuid.uuid4().hex
        port = int(config.get("port") or _free_port())
        record: dict[str, Any] = {
            "id": server_id,
            "deployer": self.name,
            "model_uri": model_uri,
            "materializer": config["materializer"],
            "data_type": config.get("data_type"),
            "extra": dict(config.get("extra") or {}),
            "artifact_store": dict(config["artifact_store"]),
            "secrets_manager": dict(config["secrets_manager"]) if config.get("secrets_manager") else None,
            "pipeline_name": config.get("pipeline_name"),
            "run_name": config.get("run_name"),
            "step_name": config.get("step_name"),
            "model_name": config.get("model_name") or "model",
            "host": HOST,
            "port": port,
            "created": time.time(),
            "pid": None,
            "start_time": None,
        }
        folder.save(record)
        log = folder.log_file(server_id)
        command = [sys.executable, "-m", SERVER_MODULE, "--service", str(folder.folder(server_id) / services.RECORD)]
        try:
            pid = services.start_detached(command, log, _server_environment())
        except (OSError, ValueError) as exc:
            folder.remove(server_id)
            raise ModelDeploymentError(f"Could not start a model server for {model_uri}: {exc}") from None
        record.update(pid=pid, start_time=services.start_time(pid))
        folder.save(record)
        self._wait_until_healthy(record, log)
        if config.get("replace", True) and record["pipeline_name"] and record["step_name"]:
            for old in self.find_model_server(pipeline_name=record["pipeline_name"], step_name=record["step_name"]):
                if old["id"] != server_id:
                    self.delete_model_server(old["id"])
        return self._describe(record)

    def find_model_server(self, **criteria: Any) -> list[dict[str, Any]]:
        found = [self._describe(r) for r in self._services().all()]
        return [s for s in found if all(s.get(key) == value for key, value in criteria.items())]

    def stop_model_server(self, server_id: str) -> None:
        from stackyard_serve.services import terminate

        record = self._record(server_id)
        terminate(record)
        record["stopped"] = time.time()
        self._services().save(record)

    def delete_model_server(self, server_id: str) -> None:
        from stackyard_serve.services import terminate

        record = self._record(server_id)
        terminate(record)
        self._services().remove(record["id"])

    def get_logs(self, server_id: str, tail: int | None = None) -> str | None:
        record = self._record(server_id)
        try:
            text = self._services().log_file(record["id"]).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        if tail is not None:
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-tail:] if tail > 0 else [])
        return text

    # -- helpers -------------------------------------------------------------------------

    def _record(self, server_id: str) -> dict[str, Any]:
        """The stored record of a server, by id or unique prefix."""
        full_id = self.get_model_server(server_id)["id"]
        record = self._services().load(full_id)
        if record is None:  # deleted meanwhile
            return self.get_model_server(full_id)
        return record

    def _describe(self, record: Mapping[str, Any]) -> dict[str, Any]:
        from stackyard_serve.services import is_alive

        base = _base_url(record["port"])
        return {
            "id": record["id"],
            "status": RUNNING if is_alive(dict(record)) else STOPPED,
            "prediction_url": f"{base}/predict",
            "health_url": f"{base}/health",
            "model_uri": record["model_uri"],
            "model_name": record.get("model_name"),
            "pipeline_name": record.get("pipeline_name"),
            "run_name": record.get("run_name"),
            "step_name": record.get("step_name"),
            "deployer": record.get("deployer", self.name),
            "pid": record.get("pid"),
            "port": record["port"],
            "created": record.get("created"),
            "log_file": str(self._services().log_file(record["id"])),
        }

    def _wait_until_healthy(self, record: dict[str, Any], log: Path) -> None:
        """Return once /health answers for this server; else stop it, forget it and raise with its log's end."""
        import json
        import urllib.error
        import urllib.request

        from stackyard_serve.services import is_alive, terminate

        url = f"{_base_url(record['port'])}/health"
        deadline = time.monotonic() + self.startup_timeout
        problem = f"it did not answer {url} within {self.startup_timeout:g} s"
        while time.monotonic() < deadline:
            if not is_alive(record):
                problem = "its process exited"
                break
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own loopback URL
                    if json.loads(response.read()).get("server_id") == record["id"]:
                        return
                    problem = f"another process answers on port {record['port']}"
                    break
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(0.05)
        terminate(record)
        tail = _last_lines(log, 5)
        self._services().remove(record["id"])
        raise ModelDeploymentError(
            f"The model server for {record['model_uri']} failed to start: {problem}." + (f" Its log ends:\n{tail}" if tail else "")
        )


def _base_url(port: int) -> str:
    """Where the server listening on ``port`` answers: ``http://127.0.0.1:<port>``."""
    return f"http://{HOST}:{port}"


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _server_environment() -> dict[str, str]:
    """This process's environment, with its module search path, so the server unpickles what the run could."""
    paths = [p for p in sys.path if p]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _last_lines(path: Path, count: int) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-count:])
