"""A registered component whose flavor cannot be loaded (its package is missing or disabled)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from stackyard.exceptions import PluginMissingError

if TYPE_CHECKING:
    from stackyard.enums import StackComponentType
    from stackyard.records import ComponentRecord


class UnavailableComponent:
    """Stands in for a component whose flavor is not installed: it lists, describes and deletes, never runs.

    Its parameters read as attributes, as a live component's would; every
    lifecycle method raises :class:`PluginMissingError` naming the package.
    """

    available = False

    def __init__(self, record: ComponentRecord, note: str) -> None:
        self.record = record
        self.note = note
        """``flavor missing (install PACKAGE)`` or ``flavor disabled (...)``."""

    @property
    def name(self) -> str:
        return self.record.name

    @property
    def uuid(self) -> UUID:
        return UUID(self.record.uuid)

    @property
    def type(self) -> StackComponentType:
        return self.record.type

    TYPE = type

    @property
    def flavor(self) -> str:
        return self.record.flavor

    @property
    def package(self) -> str | None:
        return self.record.package

    @property
    def config(self) -> dict[str, Any]:
        return dict(self.record.config)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        config = self.__dict__["record"].config
        if name in config:
            return config[name]
        if name in _LIFECYCLE:
            return self._refuse
        raise AttributeError(f"{type(self).__name__} '{self.name}' has no parameter {name!r}")

    def _refuse(self, *args: Any, **kwargs: Any) -> None:
        raise PluginMissingError(
            f"The {self.type.display_name} '{self.name}' cannot run: {self.note}.",
            kind=self.type.display_name,
            name=self.name,
            package=self.package,
        )

    def __repr__(self) -> str:
        return f"UnavailableComponent({self.type.value}/{self.name}, flavor={self.flavor!r}: {self.note})"


_LIFECYCLE = frozenset(
    {
        "validate_stack",
        "prepare_pipeline_deployment",
        "prepare_pipeline_run",
        "prepare_step_run",
        "cleanup_step_run",
        "cleanup_pipeline_run",
    }
)
