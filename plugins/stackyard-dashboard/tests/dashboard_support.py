"""Helpers of the dashboard tests: the workspace (profile and environment), the server process, waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SECRET_VALUE = "tok-Dash-5b1e9a77"
"""The secret's value: no page or API answer may contain it."""
LEGACY_VALUE = "legacy-plain-4c2d0f"
"""A plain value stored (by an older release) in a sensitive parameter: shown masked."""
CHROMIUM = "/usr/bin/chromium"
REQUIRE_BROWSER = "STACKYARD_REQUIRE_BROWSER"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

HOOK_PLUGIN = '''
from typing import ClassVar

from stackyard import SecretField, hookimpl
from stackyard.alerters import BaseAlerter


class HookAlerter(BaseAlerter):
    """Posts alerts to a webhook."""

    FLAVOR: ClassVar[str] = "hook"
    url: str = "https://hooks.example.com"
    token: str = SecretField()

    def post(self, message):
        return True

    def ask(self, question):
        return True


@hookimpl
def stackyard_alerter_flavors():
    return [HookAlerter]
'''

BROKEN_PLUGIN = "import module_nobody_installed_for_dashboard\n"


def install_plugin(site: Path, dist: str, module: str, code: str) -> None:
    """A module plus its dist-info with a ``stackyard.plugins`` entry point: as if pip-installed."""
    (site / f"{module}.py").write_text(code)
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[stackyard.plugins]\n{dist} = {module}\n")


class Workspace:
    """A config dir, a project dir and the environment that points Stackyard at them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / "config"
        self.project = root / "project"
        self.site = root / "site"
        for folder in (self.config, self.project, self.site):
            folder.mkdir()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STACKYARD_")}
        self.env.update(
            STACKYARD_CONFIG_PATH=str(self.config),
            PYTHONPATH=os.pathsep.join([str(self.site), str(HERE)]),
            COLUMNS="200",
        )

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``stackyard ARGS`` in the project folder."""
        result = subprocess.run(
            [sys.executable, "-m", "stackyard_cli", *args], cwd=self.project, env=self.env,
            capture_output=True, text=True, timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"stackyard {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def pipeline_command(self, name: str, **parameters: Any) -> list[str]:
        args = [name, *(f"{k}={v}" for k, v in parameters.items())]
        code = f"import dashboard_pipelines; dashboard_pipelines.main({args!r})"
        return [sys.executable, "-c", code]

    def run_pipeline(self, name: str, **parameters: Any) -> dict[str, str]:
        """Run a pipeline of ``dashboard_pipelines`` in a new process; its run's id, name and status."""
        result = subprocess.run(
            self.pipeline_command(name, **parameters), cwd=self.project, env=self.env,
            capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    def start_pipeline(self, name: str, **parameters: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.pipeline_command(name, **parameters), cwd=self.project, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


class Server:
    """``stackyard dashboard --no-browser`` in its own process, on a free loopback port."""

    def __init__(self, workspace: Workspace) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stackyard_cli", "dashboard", "--no-browser"], cwd=workspace.project,
            env=workspace.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.output: list[str] = []
        ready = threading.Event()

        def read() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                self.output.append(line)
                if line.startswith("Stackyard dashboard: "):
                    ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(30):
            self.stop()
            raise RuntimeError(f"the dashboard did not start: {''.join(self.output)}{self.stderr()}")
        line = next(x for x in self.output if x.startswith("Stackyard dashboard: "))
        self.url = line.split()[2].rstrip("/")

    def stderr(self) -> str:
        return self.process.stderr.read() if self.process.stderr and self.process.poll() is not None else ""

    def get(self, path: str, **headers: str) -> tuple[int, str]:
        """Status and body of ``GET path``."""
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def json(self, path: str) -> Any:
        status, body = self.get(path)
        assert status == 200, body
        return json.loads(body)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def wait_until(condition: Any, timeout: float = 30.0) -> Any:
    """Poll ``condition()`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition}")
        time.sleep(0.1)
