"""The layering rules of docs/architecture.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PUBLIC = {
    "stackyard",
    "stackyard.alerters",
    "stackyard.artifact_stores",
    "stackyard.container_registries",
    "stackyard.enums",
    "stackyard.exceptions",
    "stackyard.experiment_trackers",
    "stackyard.feature_stores",
    "stackyard.files",
    "stackyard.materializers",
    "stackyard.metadata_stores",
    "stackyard.model_deployers",
    "stackyard.names",
    "stackyard.orchestrators",
    "stackyard.pipelines",
    "stackyard.pipelines.deployment",
    "stackyard.plugins",
    "stackyard.post_execution",
    "stackyard.records",
    "stackyard.secrets",  # documented for flavors in writing-a-flavor.md ("Resolution is in stackyard.secrets")
    "stackyard.secrets_managers",
    "stackyard.stack",
    "stackyard.step_operators",
    "stackyard.testing",
}


def imported_modules(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_core_imports_neither_the_cli_nor_any_plugin_package() -> None:
    modules = imported_modules(ROOT / "core" / "src")
    offending = {m: files for m, files in modules.items() if m.split(".")[0] in ("stackyard_cli", "stackyard_local", "stackyard_example")}
    assert offending == {}


def test_the_local_flavors_use_only_the_public_core_api() -> None:
    modules = imported_modules(ROOT / "plugins-builtin-local" / "src")
    private = {m: files for m, files in modules.items() if m.startswith("stackyard.") and m not in PUBLIC}
    assert private == {}


def test_the_cli_never_reaches_past_the_repository_into_stores_or_the_registry() -> None:
    offending = []
    for path in (ROOT / "cli" / "src" / "stackyard_cli").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ".store" in line.replace(".stored", "") or "get_registry(" in line:
                offending.append(f"{path.name}:{number}: {line.strip()}")
    assert offending == []
