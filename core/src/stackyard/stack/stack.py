"""A stack: one component per type, at least an orchestrator, artifact and metadata store."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from stackyard.enums import StackComponentType
from stackyard.exceptions import StackValidationError
from stackyard.names import validate_name

if TYPE_CHECKING:
    from stackyard.alerters import BaseAlerter
    from stackyard.artifact_stores import BaseArtifactStore
    from stackyard.container_registries import BaseContainerRegistry
    from stackyard.experiment_trackers import BaseExperimentTracker
    from stackyard.feature_stores import BaseFeatureStore
    from stackyard.metadata_stores import BaseMetadataStore
    from stackyard.model_deployers import BaseModelDeployer
    from stackyard.orchestrators import BaseOrchestrator
    from stackyard.secrets_managers import BaseSecretsManager
    from stackyard.stack.stack_component import StackComponent
    from stackyard.step_operators import BaseStepOperator


class Stack:
    """A named set of stack components, at most one of each type.

    Components are given by type, e.g. ``Stack(name="dev", orchestrator=o,
    artifact_store=a, metadata_store=m, alerter=x)``, and are available as
    attributes of the same names. A component of the wrong type is refused.
    """

    def __init__(
        self,
        name: str,
        *,
        orchestrator: BaseOrchestrator | None = None,
        artifact_store: BaseArtifactStore | None = None,
        metadata_store: BaseMetadataStore | None = None,
        container_registry: BaseContainerRegistry | None = None,
        secrets_manager: BaseSecretsManager | None = None,
        step_operator: BaseStepOperator | None = None,
        model_deployer: BaseModelDeployer | None = None,
        feature_store: BaseFeatureStore | None = None,
        experiment_tracker: BaseExperimentTracker | None = None,
        alerter: BaseAlerter | None = None,
    ) -> None:
        self.name = validate_name("stack", name)
        given = {
            StackComponentType.ORCHESTRATOR: orchestrator,
            StackComponentType.ARTIFACT_STORE: artifact_store,
            StackComponentType.METADATA_STORE: metadata_store,
            StackComponentType.CONTAINER_REGISTRY: container_registry,
            StackComponentType.SECRETS_MANAGER: secrets_manager,
            StackComponentType.STEP_OPERATOR: step_operator,
            StackComponentType.MODEL_DEPLOYER: model_deployer,
            StackComponentType.FEATURE_STORE: feature_store,
            StackComponentType.EXPERIMENT_TRACKER: experiment_tracker,
            StackComponentType.ALERTER: alerter,
        }
        self._components: dict[StackComponentType, StackComponent] = {}
        for component_type, component in given.items():
            if component is None:
                continue
            actual = getattr(component, "TYPE", None)
            if actual is not component_type:
                what = (
                    f"the {actual.display_name} '{component.name}'"
                    if isinstance(actual, StackComponentType)
                    else repr(component)
                )
                raise TypeError(
                    f"Stack '{name}': {component_type.value} takes {component_type.with_article}, "
                    f"not {what}."
                )
            self._components[component_type] = component

    @classmethod
    def from_components(
        cls, name: str, components: Mapping[StackComponentType, StackComponent]
    ) -> Stack:
        """Build a stack from a mapping of type to component."""
        return cls(name, **{t.value: c for t, c in components.items()})  # type: ignore[arg-type]

    @property
    def components(self) -> dict[StackComponentType, StackComponent]:
        """The stack's components by type (a copy)."""
        return dict(self._components)

    def __iter__(self) -> Iterator[StackComponent]:
        return iter(self._components.values())

    @property
    def orchestrator(self) -> BaseOrchestrator | None:
        """The stack's orchestrator, if it has one."""
        return self._components.get(StackComponentType.ORCHESTRATOR)  # type: ignore[return-value]

    @property
    def artifact_store(self) -> BaseArtifactStore | None:
        """The stack's artifact store, if it has one."""
        return self._components.get(StackComponentType.ARTIFACT_STORE)  # type: ignore[return-value]

    @property
    def metadata_store(self) -> BaseMetadataStore | None:
        """The stack's metadata store, if it has one."""
        return self._components.get(StackComponentType.METADATA_STORE)  # type: ignore[return-value]

    @property
    def container_registry(self) -> BaseContainerRegistry | None:
        """The stack's container registry, if it has one."""
        return self._components.get(StackComponentType.CONTAINER_REGISTRY)  # type: ignore[return-value]

    @property
    def secrets_manager(self) -> BaseSecretsManager | None:
        """The stack's secrets manager, if it has one."""
        return self._components.get(StackComponentType.SECRETS_MANAGER)  # type: ignore[return-value]

    @property
    def step_operator(self) -> BaseStepOperator | None:
        """The stack's step operator, if it has one."""
        return self._components.get(StackComponentType.STEP_OPERATOR)  # type: ignore[return-value]

    @property
    def model_deployer(self) -> BaseModelDeployer | None:
        """The stack's model deployer, if it has one."""
        return self._components.get(StackComponentType.MODEL_DEPLOYER)  # type: ignore[return-value]

    @property
    def feature_store(self) -> BaseFeatureStore | None:
        """The stack's feature store, if it has one."""
        return self._components.get(StackComponentType.FEATURE_STORE)  # type: ignore[return-value]

    @property
    def experiment_tracker(self) -> BaseExperimentTracker | None:
        """The stack's experiment tracker, if it has one."""
        return self._components.get(StackComponentType.EXPERIMENT_TRACKER)  # type: ignore[return-value]

    @property
    def alerter(self) -> BaseAlerter | None:
        """The stack's alerter, if it has one."""
        return self._components.get(StackComponentType.ALERTER)  # type: ignore[return-value]

    def problems(self) -> list[str]:
        """Every reason this stack cannot run: missing required components, component rules."""
        found = [
            f"missing required {t.display_name}"
            for t in StackComponentType
            if t.is_required and t not in self._components
        ]
        for component in self._components.values():
            for problem in component.validate_stack(self):
                found.append(f"{component.TYPE.display_name} '{component.name}': {problem}")
        from stackyard.container_registries.rules import container_registry_problems

        found.extend(container_registry_problems(self))
        return found

    def validate(self) -> None:
        """Raise :class:`StackValidationError` naming every problem, if there is any."""
        found = self.problems()
        if found:
            raise StackValidationError(self.name, found)

    def __repr__(self) -> str:
        parts = ", ".join(f"{t.value}={c.name!r}" for t, c in self._components.items())
        return f"Stack(name={self.name!r}, {parts})"

