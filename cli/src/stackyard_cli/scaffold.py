"""``stackyard plugin new``: write a complete, installable flavor package.

The package has a ``pyproject.toml`` with the ``stackyard.plugins`` entry
point, a hook module, a flavor class in plain style with one example
parameter, a README and tests built on :mod:`stackyard.testing`. Installed
with ``pip install -e`` its tests pass as generated.
"""

from __future__ import annotations

import re
from pathlib import Path

from stackyard.enums import StackComponentType
from stackyard.exceptions import StackyardError

CORE_REQUIREMENT = "stackyard-core>=0.1,<0.2"
LOCAL_REQUIREMENT = "stackyard-local>=0.1,<0.2"


class ScaffoldError(StackyardError):
    """The package cannot be written (bad name, folder not empty, ...)."""


def _names(name: str) -> tuple[str, str, str]:
    """(distribution, import package, short name) for NAME or stackyard-NAME."""
    short = name.lower().strip()
    if short.startswith("stackyard-"):
        short = short[len("stackyard-") :]
    if not re.fullmatch(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*", short):
        raise ScaffoldError(
            f"'{name}' cannot name a package: use lowercase letters, digits and single dashes, "
            "starting with a letter (e.g. 'acme' or 'stackyard-acme')."
        )
    return f"stackyard-{short.replace('_', '-')}", f"stackyard_{short.replace('-', '_')}", short


def _camel(text: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", text) if part)


def create_plugin_package(
    name: str, component_type: StackComponentType, flavor: str | None = None, directory: Path | None = None
) -> Path:
    """Write the package for a new ``component_type`` flavor and return its folder."""
    from stackyard.names import validate_name

    distribution, package, short = _names(name)
    flavor = validate_name("flavor", flavor or short)
    target = Path(directory or Path.cwd()) / distribution
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} already exists and is not empty; choose another --dir or name.")
    template = _TEMPLATES[component_type]
    class_name = _camel(flavor) + _camel(component_type.value)
    values = {
        "__FIXTURE_BODY__": template.fixture_body,
        "__DIST__": distribution,
        "__PACKAGE__": package,
        "__SHORT__": short.replace("-", "_"),
        "__FLAVOR__": flavor,
        "__CLASS__": class_name,
        "__TYPE__": component_type.value,
        "__TYPE_CLI__": component_type.cli_name,
        "__TYPE_TEXT__": component_type.display_name,
        "__MODULE__": component_type.value,
        "__HOOK__": f"stackyard_{component_type.value}_flavors",
        "__DEPS__": ",\n    ".join(f'"{d}"' for d in template.dependencies),
        "__SUITE__": template.suite,
        "__FIXTURE__": template.fixture,
        "__EXAMPLE_CONFIG__": template.example_config,
    }
    files = {
        "pyproject.toml": _PYPROJECT,
        "README.md": _README,
        f"src/{package}/__init__.py": _INIT,
        f"src/{package}/py.typed": "",
        f"src/{package}/plugin.py": _PLUGIN,
        f"src/{package}/{component_type.value}.py": template.module,
        f"tests/test_{component_type.value}.py": _TESTS,
    }
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        for key, value in values.items():
            text = text.replace(key, value)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    return target


class _Template:
    def __init__(
        self,
        module: str,
        suite: str = "ComponentConformance",
        fixture: str = "component",
        fixture_body: str = 'return __CLASS__(name="test")',
        example_config: str = "",
        dependencies: tuple[str, ...] = (CORE_REQUIREMENT,),
    ) -> None:
        self.module = module
        self.suite = suite
        self.fixture = fixture
        self.fixture_body = fixture_body
        self.example_config = example_config
        self.dependencies = dependencies


_PYPROJECT = '''
[build-system]
requires = ["hatchling>=1.18"]
build-backend = "hatchling.build"

[project]
name = "__DIST__"
version = "0.1.0"
description = "The __FLAVOR__ __TYPE_TEXT__ flavor for Stackyard."
readme = "README.md"
requires-python = ">=3.10"
dependencies = [
    __DEPS__,
]

[project.optional-dependencies]
# the conformance suites run pipelines on the built-in local flavors
test = ["pytest>=7.4", "stackyard-cli>=0.1,<0.2", "stackyard-local>=0.1,<0.2"]

# Stackyard finds the flavors of this package through this entry point.
[project.entry-points."stackyard.plugins"]
__SHORT__ = "__PACKAGE__.plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/__PACKAGE__"]

[tool.pytest.ini_options]
testpaths = ["tests"]
'''

_README = '''
# __DIST__

The `__FLAVOR__` __TYPE_TEXT__ flavor for [Stackyard](https://pypi.org/project/stackyard/).

```bash
pip install __DIST__
stackyard __TYPE_CLI__ flavor list            # shows __FLAVOR__
stackyard __TYPE_CLI__ register my-__SHORT__ --flavor=__FLAVOR__ __EXAMPLE_CONFIG__
stackyard __TYPE_CLI__ flavor describe __FLAVOR__
```

## Developing

```bash
pip install -e '.[test]'
pytest
```

The tests run Stackyard's conformance suite for __TYPE_TEXT__s
(`stackyard.testing.__SUITE__`) against this flavor. Keep imports of heavy
libraries inside the methods that use them: Stackyard imports this package's
plugin module whenever it (re)discovers plugins — after every install,
uninstall or change of an installed package.
'''

_INIT = '''
"""The __FLAVOR__ __TYPE_TEXT__ flavor for Stackyard."""

__version__ = "0.1.0"
'''

_PLUGIN = '''
"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def __HOOK__() -> list[type]:
    from __PACKAGE__.__MODULE__ import __CLASS__

    return [__CLASS__]
'''

_TESTS = '''
"""Stackyard's conformance suite for __TYPE_TEXT__s, run against the __FLAVOR__ flavor."""

from __future__ import annotations

import pytest

from stackyard.testing import __SUITE__

from __PACKAGE__.__MODULE__ import __CLASS__


class Test__CLASS__(__SUITE__):
    @pytest.fixture
    def __FIXTURE__(self, tmp_path):
        __FIXTURE_BODY__


def test_flavor_is_listed_by_the_cli(stackyard_cli):
    result = stackyard_cli("__TYPE_CLI__", "flavor", "list")
    assert result.exit_code == 0, result.output
    assert "__FLAVOR__" in result.output
'''

_ARTIFACT_STORE = '''
"""The __FLAVOR__ artifact store."""

from __future__ import annotations

import glob
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

from stackyard.artifact_stores import BaseArtifactStore


class __CLASS__(BaseArtifactStore):
    """Keeps artifacts in a folder (replace the file operations with your storage's)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"
    SUPPORTED_SCHEMES: ClassVar[set[str]] = {""}

    chunk_size: int = 1024 * 1024
    """Bytes copied at a time by copyfile (an example parameter)."""

    def open(self, path: str, mode: str = "r") -> IO[Any]:
        if "w" in mode:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, mode)  # noqa: SIM115 - the caller closes it

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def isdir(self, path: str) -> bool:
        return os.path.isdir(path)

    def listdir(self, path: str) -> list[str]:
        return sorted(os.listdir(path))

    def makedirs(self, path: str) -> None:
        os.makedirs(path, exist_ok=True)

    def remove(self, path: str) -> None:
        os.remove(path)

    def rmtree(self, path: str) -> None:
        shutil.rmtree(path)

    def rename(self, src: str, dst: str, overwrite: bool = False) -> None:
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(dst)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)

    def copyfile(self, src: str, dst: str, overwrite: bool = False) -> None:
        if os.path.exists(dst) and not overwrite:
            raise FileExistsError(dst)
        Path(dst).parent.mkdir(parents=True, exist_ok=True)
        with open(src, "rb") as source, open(dst, "wb") as target:
            shutil.copyfileobj(source, target, self.chunk_size)

    def glob(self, pattern: str) -> list[str]:
        return sorted(glob.glob(pattern))

    def size(self, path: str) -> int:
        return os.path.getsize(path)

    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            yield folder, dirs, sorted(files)
'''

_SECRETS_MANAGER = '''
"""The __FLAVOR__ secrets manager."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from stackyard.exceptions import SecretExistsError, SecretNotFoundError
from stackyard.secrets_managers import BaseSecretsManager


class __CLASS__(BaseSecretsManager):
    """Keeps secrets in a private JSON file (replace with your secrets service)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    path: str
    """The file holding the secrets (an example parameter)."""

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(Path(self.path).read_text())
        except FileNotFoundError:
            return {}

    def _write(self, secrets: dict[str, dict[str, str]]) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        Path(self.path).write_text(json.dumps(secrets))
        os.chmod(self.path, 0o600)

    def register_secret(self, name: str, values: Mapping[str, str]) -> None:
        secrets = self._read()
        if name in secrets:
            raise SecretExistsError(f"A secret named '{name}' already exists.")
        secrets[name] = dict(values)
        self._write(secrets)

    def get_secret(self, name: str) -> dict[str, str]:
        try:
            return dict(self._read()[name])
        except KeyError:
            raise SecretNotFoundError(f"No secret named '{name}'.") from None

    def get_all_secret_keys(self) -> list[str]:
        return sorted(self._read())

    def update_secret(self, name: str, values: Mapping[str, str]) -> None:
        secrets = self._read()
        if name not in secrets:
            raise SecretNotFoundError(f"No secret named '{name}'.")
        secrets[name] = dict(values)
        self._write(secrets)

    def delete_secret(self, name: str) -> None:
        secrets = self._read()
        if secrets.pop(name, None) is None:
            raise SecretNotFoundError(f"No secret named '{name}'.")
        self._write(secrets)
'''

_ORCHESTRATOR = '''
"""The __FLAVOR__ orchestrator."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from stackyard.orchestrators import BaseOrchestrator

if TYPE_CHECKING:
    from stackyard.pipelines.deployment import PipelineDeployment
    from stackyard.stack import Stack

logger = logging.getLogger(__name__)


class __CLASS__(BaseOrchestrator):
    """Runs steps one after another in this process (replace with your scheduler)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    log_steps: bool = True
    """Log each step as it starts (an example parameter)."""

    def run_pipeline(
        self, deployment: PipelineDeployment, stack: Stack, runtime_configuration: Mapping[str, Any]
    ) -> None:
        for name in deployment.steps:  # dependency order
            if self.log_steps:
                logger.info("Running step %s", name)
            deployment.run_step(name)
'''

_ALERTER = '''
"""The __FLAVOR__ alerter."""

from __future__ import annotations

import sys
from typing import ClassVar

from stackyard.alerters import BaseAlerter


class __CLASS__(BaseAlerter):
    """Prints alerts to the console (replace with your chat or paging service)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    prefix: str = "[stackyard]"
    """Put before every message (an example parameter)."""

    def post(self, message: str) -> bool:
        print(f"{self.prefix} {message}")
        return True

    def ask(self, question: str) -> bool:
        if not sys.stdin.isatty():
            return False
        return input(f"{self.prefix} {question} [y/N] ").strip().lower() in ("y", "yes")
'''

_EXPERIMENT_TRACKER = '''
"""The __FLAVOR__ experiment tracker."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from stackyard.experiment_trackers import BaseExperimentTracker


class __CLASS__(BaseExperimentTracker):
    """Appends parameters and metrics to a JSON-lines file (replace with your tracking service)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    path: str = "experiments.jsonl"
    """The file records are appended to (an example parameter)."""

    def _append(self, record: dict[str, Any]) -> None:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"time": time.time(), **record}) + "\\n")

    def log_params(self, params: Mapping[str, Any]) -> None:
        self._append({"params": dict(params)})

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        self._append({"metrics": dict(metrics), "step": step})
'''

_STEP_OPERATOR = '''
"""The __FLAVOR__ step operator."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from typing import ClassVar

from stackyard.step_operators import BaseStepOperator


class __CLASS__(BaseStepOperator):
    """Runs a step's command in a subprocess (replace with your compute service)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    environment: dict[str, str] = {}
    """Extra environment variables for the step (an example parameter)."""

    def launch(self, pipeline_name: str, run_name: str, step_name: str, entrypoint: Sequence[str]) -> None:
        subprocess.run(list(entrypoint), check=True, env={**os.environ, **self.environment})
'''

_CONTAINER_REGISTRY = '''
"""The __FLAVOR__ container registry."""

from __future__ import annotations

import subprocess
from typing import ClassVar

from stackyard.container_registries import BaseContainerRegistry


class __CLASS__(BaseContainerRegistry):
    """Pushes images with the docker command line (replace with your registry's client)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    namespace: str = "ml"
    """The repository namespace images are pushed under (an example parameter)."""

    def push_image(self, image_name: str) -> str:
        target = f"{self.uri}/{self.namespace}/{image_name}"
        subprocess.run(["docker", "tag", image_name, target], check=True)
        subprocess.run(["docker", "push", target], check=True)
        return target
'''

_MODEL_DEPLOYER = '''
"""The __FLAVOR__ model deployer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from stackyard.model_deployers import BaseModelDeployer


class __CLASS__(BaseModelDeployer):
    """Serves models through your serving platform (fill in the methods below)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    endpoint: str = "http://localhost:8080"
    """Where the serving platform listens (an example parameter)."""

    def deploy_model(self, model_uri: str, config: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError("start a model server for model_uri and describe it")

    def find_model_server(self, **criteria: Any) -> list[dict[str, Any]]:
        raise NotImplementedError("list the servers matching criteria")

    def stop_model_server(self, server_id: str) -> None:
        raise NotImplementedError("stop the server")

    def delete_model_server(self, server_id: str) -> None:
        raise NotImplementedError("stop and forget the server")
'''

_FEATURE_STORE = '''
"""The __FLAVOR__ feature store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from stackyard.feature_stores import BaseFeatureStore


class __CLASS__(BaseFeatureStore):
    """Serves features from your feature platform (fill in the methods below)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    project: str = "default"
    """The feature project to read from (an example parameter)."""

    def get_historical_features(self, entity_df: Any, features: Sequence[str]) -> Any:
        raise NotImplementedError("return point-in-time correct features for entity_df")

    def get_online_features(
        self, entity_rows: Sequence[dict[str, Any]], features: Sequence[str]
    ) -> dict[str, list[Any]]:
        raise NotImplementedError("return the latest features for entity_rows")
'''

_METADATA_STORE = '''
"""The __FLAVOR__ metadata store."""

from __future__ import annotations

from typing import ClassVar

from stackyard_local import SQLiteMetadataStore


class __CLASS__(SQLiteMetadataStore):
    """Records runs in SQLite, like the built-in store (replace with your tracking back end)."""

    FLAVOR: ClassVar[str] = "__FLAVOR__"

    label: str = ""
    """A free-form label for this store (an example parameter)."""
'''

_TEMPLATES: dict[StackComponentType, _Template] = {
    StackComponentType.ARTIFACT_STORE: _Template(
        _ARTIFACT_STORE,
        suite="ArtifactStoreConformance",
        fixture="artifact_store",
        fixture_body='return __CLASS__(name="test", path=str(tmp_path / "artifacts"))',
        example_config="--path=/data/artifacts",
    ),
    StackComponentType.SECRETS_MANAGER: _Template(
        _SECRETS_MANAGER,
        suite="SecretsManagerConformance",
        fixture="secrets_manager",
        fixture_body='return __CLASS__(name="test", path=str(tmp_path / "secrets.json"))',
        example_config="--path=~/.secrets.json",
    ),
    StackComponentType.ORCHESTRATOR: _Template(_ORCHESTRATOR, suite="OrchestratorConformance", fixture="orchestrator"),
    StackComponentType.ALERTER: _Template(_ALERTER, example_config="--prefix=[ml]"),
    StackComponentType.EXPERIMENT_TRACKER: _Template(
        _EXPERIMENT_TRACKER,
        fixture_body='return __CLASS__(name="test", path=str(tmp_path / "experiments.jsonl"))',
        example_config="--path=experiments.jsonl",
    ),
    StackComponentType.STEP_OPERATOR: _Template(_STEP_OPERATOR),
    StackComponentType.CONTAINER_REGISTRY: _Template(
        _CONTAINER_REGISTRY,
        fixture_body='return __CLASS__(name="test", uri="localhost:5000")',
        example_config="--uri=localhost:5000",
    ),
    StackComponentType.MODEL_DEPLOYER: _Template(_MODEL_DEPLOYER),
    StackComponentType.FEATURE_STORE: _Template(_FEATURE_STORE),
    StackComponentType.METADATA_STORE: _Template(
        _METADATA_STORE,
        suite="MetadataStoreConformance",
        fixture="metadata_store",
        fixture_body='return __CLASS__(name="test", uri=str(tmp_path / "metadata.db"))',
        example_config="--uri=/data/metadata.db",
        dependencies=(CORE_REQUIREMENT, LOCAL_REQUIREMENT),
    ),
}
