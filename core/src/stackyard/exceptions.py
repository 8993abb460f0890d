"""Errors a caller can catch; each message names the thing and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class StackyardError(Exception):
    """Base class of every error Stackyard raises on purpose.

    Besides its message, an error carries what it is about as attributes
    (``kind``, ``name``, ``scope``, ...; all of them in :attr:`details`), so a
    caller such as the CLI can add its own hints without parsing text.
    """

    def __init__(self, *args: Any, **details: Any) -> None:
        super().__init__(*args)
        self.details = details
        for key, value in details.items():
            setattr(self, key, value)


class _NotFound(StackyardError, KeyError):
    """A named thing does not exist (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class _Exists(StackyardError):
    """A name is already taken."""


class InvalidNameError(StackyardError, ValueError):
    """A name cannot be used (names become file names)."""


class InvalidComponentTypeError(StackyardError, ValueError):
    """A string does not name a stack component type."""


class ConfigFileError(StackyardError):
    """A configuration file cannot be read; the message names the file."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"Cannot read configuration file {path}: {reason}")


class StackNotFoundError(_NotFound):
    """No stack with that name in the active profile."""


class StackExistsError(_Exists):
    """A stack with that name already exists."""


class StackComponentNotFoundError(_NotFound):
    """No stack component of that type and name in the active profile."""


class StackComponentExistsError(_Exists):
    """A stack component of that type and name already exists."""


class ProfileNotFoundError(_NotFound):
    """No profile with that name."""


class ProfileExistsError(_Exists):
    """A profile with that name already exists."""


class FlavorNotFoundError(_NotFound):
    """No installed or custom flavor of that type and name."""


class FlavorExistsError(_Exists):
    """A flavor of that type and name is already provided."""


class InvalidFlavorError(StackyardError, TypeError):
    """A class cannot serve as a flavor (wrong base, missing FLAVOR, ...)."""


class RepositoryExistsError(_Exists):
    """A repository is already initialized at or above that path."""


class RepositoryNotFoundError(StackyardError):
    """No repository where one was required."""


class InUseError(StackyardError):
    """A stack, component or profile is active or used and cannot be changed that way."""


class StackValidationError(StackyardError):
    """A stack is missing required components or breaks a component's rule."""

    def __init__(self, stack_name: str, problems: Sequence[str]) -> None:
        self.stack_name = stack_name
        self.problems = list(problems)
        super().__init__(f"Stack '{stack_name}' is not valid: " + "; ".join(self.problems))


class ComponentConfigError(StackyardError, ValueError):
    """Parameters for a flavor are unknown, missing or of the wrong type (all reported at once)."""

    def __init__(
        self,
        flavor: str,
        problems: Sequence[str],
        valid_parameters: Sequence[str] = (),
    ) -> None:
        self.flavor = flavor
        self.problems = list(problems)
        self.valid_parameters = list(valid_parameters)
        message = f"Invalid configuration for flavor '{flavor}': " + "; ".join(self.problems)
        if self.valid_parameters:
            message += ". Valid parameters: " + ", ".join(self.valid_parameters)
        super().__init__(message)


class SecretNotFoundError(_NotFound):
    """No secret with that name in the secrets manager."""


class SecretExistsError(_Exists):
    """A secret with that name already exists."""


class PluginMissingError(StackyardError):
    """A flavor Stackyard needs comes from a package that is not installed."""


# -- pipelines ------------------------------------------------------------


class PipelineDefinitionError(StackyardError):
    """A pipeline or step is defined or wired up wrongly (found before anything runs)."""


class StepOutsidePipelineError(PipelineDefinitionError):
    """A step was called outside a ``@pipeline`` function."""


class UnknownParameterError(PipelineDefinitionError, TypeError):
    """A step or pipeline was given a parameter it does not declare, or misses a required one."""


class StepOutputNotFoundError(PipelineDefinitionError, AttributeError):
    """A pipeline used an output a step does not have."""


class PipelineCycleError(PipelineDefinitionError):
    """The steps of a pipeline depend on each other in a cycle."""


class PipelineNotFoundError(_NotFound):
    """No pipeline with that name has runs in the metadata store."""


class RunNotFoundError(_NotFound):
    """No pipeline run with that name or id in the metadata store."""


class RunExistsError(_Exists):
    """A pipeline run with that name already exists."""


class StepNotFoundError(_NotFound):
    """No step with that name in a pipeline run."""


class ArtifactNotFoundError(_NotFound):
    """An artifact's data is missing from the artifact store."""


class MaterializerError(StackyardError):
    """An artifact cannot be written or read by its materializer."""


class MetadataStoreError(StackyardError):
    """The metadata store cannot be used (damaged, or a schema this version does not know)."""


class PipelineLoadError(StackyardError):
    """A pipeline cannot be loaded from ``path/to/file.py:name``."""


class RemoteStepError(StackyardError):
    """A step failed in another process with an exception that cannot be re-created here.

    It carries what is known of the original: :attr:`step_name`,
    :attr:`type_name` (``module.Class``), :attr:`message` and
    :attr:`traceback_text`; ``str()`` reads like the original's last line.
    """

    def __init__(self, step_name: str, type_name: str, message: str, traceback_text: str = "") -> None:
        self.step_name = step_name
        self.type_name = type_name
        self.message = message
        self.traceback_text = traceback_text
        super().__init__(f"{type_name}: {message}" if message else type_name)

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.step_name, self.type_name, self.message, self.traceback_text))


class RuntimeOptionError(StackyardError, ValueError):
    """A runtime option does not convert to the type a component declares for it (nothing was recorded)."""


class PipelineRunFailedError(StackyardError):
    """A pipeline run was recorded and failed; :attr:`run` is the finished run (a ``PipelineRunView``).

    The step's own exception is ``__cause__``; :attr:`step_name` names the failed step, if one did.
    """

    def __init__(self, run: object, step_name: str | None = None, error: str | None = None) -> None:
        self.run = run
        self.step_name = step_name
        self.error = error
        name = getattr(run, "name", "?")
        super().__init__(f"Pipeline run '{name}' failed." + (f" {error}" if error else ""))


class PluginExitError(StackyardError):
    """Plugin code, while imported or called, raised ``SystemExit`` (``sys.exit()``) or a
    ``KeyboardInterrupt`` of its own (not Ctrl-C): a failure of that plugin, never an exit."""


class RunOwnerGoneError(StackyardError):
    """The process that owns a pipeline run is gone: a step of it must not start or record anything more."""


class SecretReferenceError(StackyardError):
    """A ``{{secret.key}}`` reference in a component's parameter cannot be resolved (the secret or key is
    missing, or the stack has no secrets manager); :attr:`parameter`, :attr:`secret` and :attr:`key` say which."""


class StepTimeoutError(StackyardError, TimeoutError):
    """A step ran longer than its ``@step(timeout=...)`` and was stopped."""
