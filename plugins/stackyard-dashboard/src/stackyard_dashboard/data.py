"""What the dashboard shows, as plain data: read through ``stackyard.Repository`` and ``stackyard.post_execution``.

Every function returns JSON-ready dicts and lists; the HTML pages and the
``/api`` routes render the same data. Sensitive parameters are masked here,
once, so neither can show a secret value.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stackyard.enums import StackComponentType
from stackyard.exceptions import StackyardError
from stackyard.pipelines import ExecutionStatus

if TYPE_CHECKING:
    from stackyard import Repository
    from stackyard.post_execution import PipelineRunView, StepView, StoreContext

RUNS_PER_PAGE = 50
STATUSES = tuple(s.value for s in ExecutionStatus)


class NotFound(LookupError):
    """A run, step or artifact the dashboard was asked for does not exist; the message says which."""


def repository() -> Repository:
    """A fresh view of the active profile (cheap: files are read when asked for)."""
    from stackyard import Repository

    return Repository()


def _active_stack(repo: Repository) -> str | None:
    try:
        return repo.active_stack_name
    except StackyardError:
        return None


def overview(repo: Repository) -> dict[str, Any]:
    """The active profile and stack."""
    return {"profile": repo.active_profile_name, "active_stack": _active_stack(repo)}


# -- stacks, components, flavors, plugins -------------------------------------------


class _Sensitive:
    """Each flavor's sensitive parameter names, looked up once per request."""

    def __init__(self, repo: Repository) -> None:
        self._repo = repo
        self._found: dict[tuple[str, str], frozenset[str]] = {}

    def mask(self, component_type: StackComponentType | str, flavor: str, config: dict[str, Any]) -> dict[str, Any]:
        from stackyard.secrets import masked_config, sensitive_parameters

        kind = StackComponentType(component_type)
        key = (kind.value, flavor)
        if key not in self._found:
            self._found[key] = sensitive_parameters(self._repo, kind, flavor)
        return masked_config(config, self._found[key])


def stacks(repo: Repository) -> list[dict[str, Any]]:
    """Every stack of the active profile: active marker, components (flavor, package), validation problems."""
    active = _active_stack(repo)
    result = []
    for name, configuration in repo.stack_configurations.items():
        components = []
        for kind, component_name in sorted(configuration.items()):
            entry: dict[str, Any] = {"type": kind.value, "name": component_name}
            try:
                record = repo.get_component_record(kind, component_name)
                entry.update(flavor=record.flavor, package=record.package or "custom")
                note = repo.flavor_note(record)
                if note is not None:
                    entry["flavor_missing"] = note
            except StackyardError as exc:
                entry["error"] = str(exc)
            components.append(entry)
        try:
            problems = repo.get_stack(name).problems()
        except StackyardError as exc:
            problems = [str(exc)]
        result.append({"name": name, "active": name == active, "components": components, "problems": problems})
    return result


def components(repo: Repository) -> list[dict[str, Any]]:
    """Every component, by type, with its configuration (plain values of sensitive parameters masked)."""
    sensitive = _Sensitive(repo)
    result = []
    for kind in StackComponentType:
        active = repo.active_component_name(kind)
        for record in repo.get_component_records(kind):
            data = record.to_dict()
            data["config"] = sensitive.mask(kind, record.flavor, dict(data.get("config") or {}))
            data["active"] = record.name == active
            data["stacks"] = repo.stacks_using(kind, record.name)
            note = repo.flavor_note(record)
            if note is not None:
                data["flavor_missing"] = note
            result.append(data)
    return result


def flavors(repo: Repository) -> list[dict[str, Any]]:
    """Every flavor of every type: installed ones and the active profile's custom ones."""
    result = []
    for kind in StackComponentType:
        for flavor in repo.get_flavors(kind):
            try:
                description = flavor.description
            except Exception as exc:  # noqa: BLE001 - a broken flavor is listed with its error
                description = f"cannot load: {type(exc).__name__}: {exc}"
            result.append(
                {
                    "type": kind.value,
                    "name": flavor.name,
                    "package": flavor.package,
                    "version": flavor.version,
                    "source": flavor.source,
                    "description": description,
                }
            )
    return result


def plugins(repo: Repository) -> dict[str, Any]:
    """Installed plugins with status and errors, and flavors provided by more than one package."""
    return {
        "plugins": [p.to_dict() for p in repo.get_plugins()],
        "conflicts": [
            {"type": c.type.value, "name": c.name, "packages": list(c.packages), "message": str(c)}
            for c in repo.get_flavor_conflicts()
        ],
    }


# -- runs ---------------------------------------------------------------------------


class RunSources:
    """The metadata stores of the active profile's stacks, each read once (stacks may share one)."""

    def __init__(self, repo: Repository) -> None:
        from stackyard import post_execution

        self.contexts: list[StoreContext] = []
        self.problems: list[str] = []
        seen: set[str] = set()
        active = _active_stack(repo)
        for name, configuration in sorted(repo.stack_configurations.items(), key=lambda kv: kv[0] != active):
            store = configuration.get(StackComponentType.METADATA_STORE)
            if store is None or store in seen:
                continue
            seen.add(store)
            try:
                self.contexts.append(post_execution.active_context(repo, name))
            except StackyardError as exc:
                self.problems.append(f"Runs of stack '{name}' cannot be read: {exc}")

    def runs(self) -> Iterator[PipelineRunView]:
        from stackyard import post_execution

        for context in self.contexts:
            yield from post_execution.get_runs(context)

    def run(self, name_or_id: str) -> PipelineRunView:
        from stackyard import post_execution
        from stackyard.exceptions import RunNotFoundError

        for context in self.contexts:
            try:
                return post_execution.get_run(context, name_or_id)
            except RunNotFoundError:
                continue
        raise NotFound(f"No run named or with id '{name_or_id}' in the active profile.")


def run_summary(run: PipelineRunView, *, with_steps: bool = True) -> dict[str, Any]:
    """One row of the runs list."""
    data: dict[str, Any] = {
        "id": run.id,
        "name": run.name,
        "pipeline": run.pipeline_name,
        "status": run.status.value,
        "started": _started(run),
        "duration": run.duration,
        "stack": run.stack.get("name"),
        "error": run.error,
    }
    if with_steps:
        steps = run.steps
        data["steps"] = len(steps)
        data["cached_steps"] = sum(1 for s in steps if s.is_cached)
    return data


def _started(run: PipelineRunView) -> float | None:
    moment = run.start_time
    return moment.timestamp() if moment is not None else None


def runs(
    repo: Repository,
    *,
    pipeline: str | None = None,
    status: str | None = None,
    stack: str | None = None,
    page: int = 1,
    per_page: int = RUNS_PER_PAGE,
) -> dict[str, Any]:
    """Runs of every stack's metadata store, newest first, filtered, one page of them."""
    sources = RunSources(repo)
    found = list(sources.runs())
    pipelines = sorted({r.pipeline_name for r in found})
    stack_names = sorted({str(r.stack.get("name")) for r in found if r.stack.get("name")})
    if pipeline:
        found = [r for r in found if r.pipeline_name == pipeline]
    if status:
        found = [r for r in found if r.status.value == status]
    if stack:
        found = [r for r in found if r.stack.get("name") == stack]
    found.sort(key=lambda r: _started(r) or 0.0, reverse=True)
    page = max(page, 1)
    chosen = found[(page - 1) * per_page : page * per_page]
    return {
        "runs": [run_summary(r) for r in chosen],
        "total": len(found),
        "page": page,
        "per_page": per_page,
        "filters": {"pipeline": pipeline, "status": status, "stack": stack},
        "choices": {"pipeline": pipelines, "status": list(STATUSES), "stack": stack_names},
        "problems": sources.problems,
    }


def pipelines(repo: Repository) -> list[dict[str, Any]]:
    """Each pipeline with runs: how many, and its latest run."""
    by_name: dict[str, list[PipelineRunView]] = {}
    for run in RunSources(repo).runs():
        by_name.setdefault(run.pipeline_name, []).append(run)
    result = []
    for name, found in sorted(by_name.items()):
        found.sort(key=lambda r: _started(r) or 0.0)
        latest = found[-1]
        result.append(
            {
                "name": name,
                "runs": len(found),
                "latest_run": latest.name,
                "latest_run_id": latest.id,
                "latest_status": latest.status.value,
                "latest_started": _started(latest),
            }
        )
    return result


def _masked_stack(repo: Repository, recorded: dict[str, Any]) -> dict[str, Any]:
    """A run's recorded stack with plain values of sensitive parameters masked."""
    sensitive = _Sensitive(repo)
    components = {}
    for kind, component in (recorded.get("components") or {}).items():
        component = dict(component)
        try:
            component["config"] = sensitive.mask(kind, str(component.get("flavor")), dict(component.get("config") or {}))
        except ValueError:
            component["config"] = {}
        components[kind] = component
    return {**recorded, "components": components}


def run_detail(repo: Repository, name_or_id: str, *, previews: bool = True) -> dict[str, Any]:
    """One run: its summary, parameters, stack, metadata, the step graph and every step in full."""
    from stackyard_dashboard.graph import layers

    run = RunSources(repo).run(name_or_id)
    steps = run.steps
    data = run_summary(run)
    data.update(
        ended=run.end_time.timestamp() if run.end_time else None,
        parameters=run.parameters,
        runtime_configuration=run.runtime_configuration,
        stack_components=_masked_stack(repo, run.stack).get("components", {}),
        metadata=run.metadata,
        graph={"layers": layers({s.name: s.upstream_steps for s in steps})},
        step_details=[step_detail(s, previews=previews) for s in steps],
    )
    return data


def step_detail(step: StepView, *, previews: bool = True) -> dict[str, Any]:
    """A step: status, timings, cache state, parameters, metadata, logs, error and artifacts."""
    try:
        logs = step.logs
    except Exception as exc:  # noqa: BLE001 - an unreadable log is shown as such
        logs = f"(the logs cannot be read: {type(exc).__name__}: {exc})"
    return {
        "id": step.id,
        "name": step.name,
        "status": step.status.value,
        "cached": step.is_cached,
        "cache_key": step.cache_key,
        "started": step.start_time.timestamp() if step.start_time else None,
        "duration": step.duration,
        "attempts": step.attempts,
        "upstream": step.upstream_steps,
        "parameters": step.parameters,
        "metadata": step.metadata,
        "error": step.error,
        "logs": logs,
        "inputs": [artifact(a, previews=False) for a in step.inputs.values()],
        "outputs": [artifact(a, previews=previews) for a in step.outputs.values()],
    }


def artifact(view: Any, *, previews: bool) -> dict[str, Any]:
    """An artifact's record, with a preview of its value if asked for."""
    from stackyard_dashboard.previews import preview

    data = view.to_dict()
    if previews:
        data["preview"] = preview(view)
    return data


def run_status(repo: Repository, name_or_id: str) -> dict[str, Any]:
    """What a run page polls while the run goes on: its status and each step's status and duration."""
    run = RunSources(repo).run(name_or_id)
    data = run_summary(run, with_steps=False)
    data["step_status"] = {s.name: {"status": s.status.value, "duration": s.duration} for s in run.steps}
    return data
