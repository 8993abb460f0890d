"""The stack rule for components that run images: they need a container registry in their stack.

A flavor declares it with a class attribute::

    class KubernetesOrchestrator(BaseOrchestrator):
        FLAVOR: ClassVar[str] = "kubernetes"
        REQUIRES_CONTAINER_REGISTRY: ClassVar[bool] = True

and every stack holding it without a container registry is refused by stack
validation (``Stack.problems()``, registration, before a run), naming the
component and the fix. A registry on this machine is refused too when the
component also declares ``REMOTE = True`` (its workers cannot reach it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stackyard.stack.stack import Stack

REQUIRES_CONTAINER_REGISTRY = "REQUIRES_CONTAINER_REGISTRY"
"""Name of the class attribute a flavor sets to ``True`` when it runs steps from images."""


def container_registry_problems(stack: Stack) -> list[str]:
    """One line per component of ``stack`` that needs a container registry the stack does not give it."""
    registry = stack.container_registry
    found = []
    for component in stack:
        if not getattr(type(component), REQUIRES_CONTAINER_REGISTRY, False):
            continue
        what = f"{component.TYPE.display_name} '{component.name}'"
        if registry is None:
            found.append(
                f"{what}: runs steps from container images, so the stack needs a container registry; "
                f"add one with: stackyard stack update {stack.name} --container-registry=NAME"
            )
        elif getattr(type(component), "REMOTE", False) and registry.is_local:
            found.append(
                f"{what}: runs steps on other machines, which cannot pull from the local "
                f"container registry '{registry.name}' ({registry.uri}); use a registry they can reach"
            )
    return found
