"""``stackyard plugin new``: write a complete, installable flavor package.

The package has a ``pyproject.toml`` with the ``stackyard.plugins`` entry
point, a hook module, a flavor class in plain style with one example
parameter, a README and tests built on :mod:`stackyard.testing`. Installed
with ``pip install -e`` its tests pass as generated.

Its files are ``string.Template`` files (``$name`` placeholders) shipped in
this package under ``templates/plugin``; the flavor module comes from
``templates/plugin/flavors/<component type>.py.tmpl``.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from stackyard.enums import StackComponentType
from stackyard.exceptions import StackyardError

CORE_REQUIREMENT = "stackyard-core>=0.1,<0.2"
LOCAL_REQUIREMENT = "stackyard-local>=0.1,<0.2"


class ScaffoldError(StackyardError):
    """The package cannot be written (bad name, folder not empty, ...)."""


def _names(name: str) -> tuple[str, str, str]:
    """(distribution, import package, short name) for NAME or stackyard-NAME.

    NAME is a package name as pip reads it: letters, digits and ``-``, ``_``
    or ``.`` between them, starting with a letter. It is normalised as PEP 503
    does (lowercase, each run of ``-_.`` one dash), so ``Acme_X`` and
    ``acme-x`` write the same package, ``stackyard-acme-x``.
    """
    text = name.strip()
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[-_.]+[A-Za-z0-9]+)*", text):
        raise ScaffoldError(
            f"'{name}' cannot name a package: use letters, digits and '-', '_' or '.' between them, "
            "starting with a letter (e.g. 'acme' or 'stackyard-acme')."
        )
    from stackyard.names import normalized_package_name

    short = normalized_package_name(text)
    if short.startswith("stackyard-"):
        short = short[len("stackyard-") :]
    if not short[:1].isalpha():
        raise ScaffoldError(f"'{name}' cannot name a package: the part after 'stackyard-' must start with a letter.")
    return f"stackyard-{short}", f"stackyard_{short.replace('-', '_')}", short


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
    settings = _SETTINGS[component_type]
    class_name = _camel(flavor) + _camel(component_type.value)
    values = {
        "distribution": distribution,
        "package": package,
        "short": short.replace("-", "_"),
        "flavor": flavor,
        "class_name": class_name,
        "type_cli": component_type.cli_name,
        "type_text": component_type.display_name,
        "module": component_type.value,
        "hook": f"stackyard_{component_type.value}_flavors",
        "dependencies": ",\n    ".join(f'"{d}"' for d in settings.dependencies),
        "suite": settings.suite,
        "fixture": settings.fixture,
        "fixture_body": Template(settings.fixture_body).substitute(class_name=class_name),
        "example_config": settings.example_config,
    }
    files = {
        "pyproject.toml": "pyproject.toml",
        "README.md": "README.md",
        f"src/{package}/__init__.py": "__init__.py",
        f"src/{package}/py.typed": None,
        f"src/{package}/plugin.py": "plugin.py",
        f"src/{package}/{component_type.value}.py": f"flavors/{component_type.value}.py",
        f"tests/test_{component_type.value}.py": "test_flavor.py",
    }
    for relative, template in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_render(template, values) if template else "", encoding="utf-8")
    return target


def _render(template: str, values: dict[str, str]) -> str:
    """The text of ``templates/plugin/<template>.tmpl`` with its placeholders filled."""
    from importlib.resources import files

    text = (files("stackyard_cli") / "templates" / "plugin" / f"{template}.tmpl").read_text(encoding="utf-8")
    return Template(text).substitute(values)


class _Settings:
    """What differs by component type besides the flavor module: the conformance suite and its fixture."""

    def __init__(
        self,
        suite: str = "ComponentConformance",
        fixture: str = "component",
        fixture_body: str = 'return $class_name(name="test")',
        example_config: str = "",
        dependencies: tuple[str, ...] = (CORE_REQUIREMENT,),
    ) -> None:
        self.suite = suite
        self.fixture = fixture
        self.fixture_body = fixture_body
        self.example_config = example_config
        self.dependencies = dependencies


_SETTINGS: dict[StackComponentType, _Settings] = {
    StackComponentType.ARTIFACT_STORE: _Settings(
        suite="ArtifactStoreConformance",
        fixture="artifact_store",
        fixture_body='return $class_name(name="test", path=str(tmp_path / "artifacts"))',
        example_config="--path=/data/artifacts",
    ),
    StackComponentType.SECRETS_MANAGER: _Settings(
        suite="SecretsManagerConformance",
        fixture="secrets_manager",
        fixture_body='return $class_name(name="test", path=str(tmp_path / "secrets.json"))',
        example_config="--path=~/.secrets.json",
    ),
    StackComponentType.ORCHESTRATOR: _Settings(suite="OrchestratorConformance", fixture="orchestrator"),
    StackComponentType.ALERTER: _Settings(example_config="--prefix=[ml]"),
    StackComponentType.EXPERIMENT_TRACKER: _Settings(
        fixture_body='return $class_name(name="test", path=str(tmp_path / "experiments.jsonl"))',
        example_config="--path=experiments.jsonl",
    ),
    StackComponentType.STEP_OPERATOR: _Settings(),
    StackComponentType.CONTAINER_REGISTRY: _Settings(
        fixture_body='return $class_name(name="test", uri="localhost:5000")',
        example_config="--uri=localhost:5000",
    ),
    StackComponentType.MODEL_DEPLOYER: _Settings(),
    StackComponentType.FEATURE_STORE: _Settings(),
    StackComponentType.METADATA_STORE: _Settings(
        suite="MetadataStoreConformance",
        fixture="metadata_store",
        fixture_body='return $class_name(name="test", uri=str(tmp_path / "metadata.db"))',
        example_config="--uri=/data/metadata.db",
        dependencies=(CORE_REQUIREMENT, LOCAL_REQUIREMENT),
    ),
}
