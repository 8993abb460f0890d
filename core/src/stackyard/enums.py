"""Enumerations shared across Stackyard."""

from __future__ import annotations

from enum import Enum


class StackComponentType(str, Enum):
    """The kinds of stack components; the first three are required in every stack."""

    ORCHESTRATOR = "orchestrator"
    ARTIFACT_STORE = "artifact_store"
    METADATA_STORE = "metadata_store"
    CONTAINER_REGISTRY = "container_registry"
    SECRETS_MANAGER = "secrets_manager"
    STEP_OPERATOR = "step_operator"
    MODEL_DEPLOYER = "model_deployer"
    FEATURE_STORE = "feature_store"
    EXPERIMENT_TRACKER = "experiment_tracker"
    ALERTER = "alerter"

    def __str__(self) -> str:
        return self.value

    @property
    def is_required(self) -> bool:
        """Whether every stack must have a component of this type."""
        return self in _REQUIRED

    @property
    def plural(self) -> str:
        """Plural form, e.g. ``artifact_stores`` (also the module holding the base class)."""
        if self.value.endswith("y"):
            return self.value[:-1] + "ies"
        return self.value + "s"

    @property
    def cli_name(self) -> str:
        """The dashed spelling the CLI uses, e.g. ``artifact-store``."""
        return self.value.replace("_", "-")

    @property
    def display_name(self) -> str:
        """Human spelling, e.g. ``artifact store``."""
        return self.value.replace("_", " ")

    @property
    def with_article(self) -> str:
        """``an artifact store``, ``a metadata store``."""
        name = self.display_name
        return ("an " if name[0] in "aeiou" else "a ") + name

    @classmethod
    def parse(cls, value: str | StackComponentType) -> StackComponentType:
        """Accept ``artifact_store``, ``artifact-store`` or the enum itself."""
        if isinstance(value, cls):
            return value
        member = cls._value2member_map_.get(value)  # the spelling files use: no string work
        if member is not None:
            return member  # type: ignore[return-value]
        try:
            return cls(str(value).strip().lower().replace("-", "_"))
        except ValueError:
            from stackyard.exceptions import InvalidComponentTypeError

            valid = ", ".join(t.cli_name for t in cls)
            raise InvalidComponentTypeError(
                f"Unknown stack component type '{value}'; valid types: {valid}."
            ) from None


_REQUIRED = frozenset(
    {
        StackComponentType.ORCHESTRATOR,
        StackComponentType.ARTIFACT_STORE,
        StackComponentType.METADATA_STORE,
    }
)

REQUIRED_COMPONENT_TYPES = tuple(t for t in StackComponentType if t.is_required)
OPTIONAL_COMPONENT_TYPES = tuple(t for t in StackComponentType if not t.is_required)


class ProfileSource(str, Enum):
    """Where the active profile (and stack) were chosen."""

    ENVIRONMENT = "environment"
    LOCAL = "local"
    GLOBAL = "global"

    def __str__(self) -> str:
        return self.value
