"""Sending a run's deployment to Dask workers: step code by value, secrets as references.

Core pickles steps and pipelines *by reference* (module and name), so a
process unpickling them must be able to import the module that defines them.
Dask workers on other machines usually cannot: the pipeline's module is the
user's script (``__main__``) or a file of their project. So the deployment is
pickled with ``cloudpickle``, and the modules that define the pipeline and its
steps are registered *by value*: their functions and classes travel with the
payload and the workers need nothing but the installed packages the code
imports (Stackyard, the stack's flavors, numpy, ...).

Components whose ``{{secret.key}}`` references were resolved for the run are
pickled with their references again (as core's step-operator payload is);
each worker resolves them from the stack's secrets manager, so no secret
value travels to the scheduler or the workers.
"""

from __future__ import annotations

import io
import pickle
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stackyard.pipelines.deployment import PipelineDeployment


def step_modules(deployment: PipelineDeployment) -> set[str]:
    """The modules defining the pipeline and its steps (what workers would otherwise have to import)."""
    instance = deployment.pipeline
    names = {instance.pipeline.entrypoint.__module__}
    for name in deployment.steps:
        names.add(deployment.pipeline.graph[name].step.entrypoint.__module__)
    return names


def dumps(deployment: PipelineDeployment, *, by_value: bool = True) -> bytes:
    """The deployment as bytes for workers; with ``by_value`` its pipeline's and steps' code travels with it."""
    import cloudpickle

    shipped = step_modules(deployment) if by_value else set()
    for name in deployment.steps:
        _ = deployment.pipeline.graph[name].step.source_hash  # hashed here, from the source file, for the cache key
    registered = []
    for module_name in sorted(shipped - {"__main__"}):
        module = sys.modules.get(module_name)
        if module is not None and module_name not in _registered_names():
            cloudpickle.register_pickle_by_value(module)
            registered.append(module)
    try:
        buffer = io.BytesIO()
        _Pickler(buffer, shipped).dump(deployment)
        return buffer.getvalue()
    finally:
        for module in registered:
            cloudpickle.unregister_pickle_by_value(module)


def loads(payload: bytes) -> Any:
    """What :func:`dumps` wrote (needs ``cloudpickle`` only for code sent by value)."""
    return pickle.loads(payload)  # noqa: S301 - written by the run's own orchestrating process


def _registered_names() -> set[str]:
    import cloudpickle

    return set(cloudpickle.list_registry_pickle_by_value())


def _restore(cls: type, state: dict[str, Any]) -> Any:
    """Rebuild a step or pipeline sent by value (core pickles them by reference)."""
    obj = cls.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _pickler_base() -> type:
    import cloudpickle

    return cloudpickle.Pickler  # type: ignore[no-any-return]


class _Pickler(_pickler_base()):  # type: ignore[misc]
    """cloudpickle, plus: steps and pipelines of shipped modules by value, components with their references."""

    def __init__(self, file: io.BytesIO, shipped: set[str]) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.shipped = shipped

    def reducer_override(self, obj: Any) -> Any:
        from stackyard.pipelines.pipeline import Pipeline
        from stackyard.pipelines.step import Step
        from stackyard.secrets import reduce_with_references

        if isinstance(obj, (Step, Pipeline)) and obj.entrypoint.__module__ in self.shipped:
            return _restore, (type(obj), dict(obj.__dict__))
        reduced = reduce_with_references(obj)
        return reduced if reduced is not NotImplemented else super().reducer_override(obj)
