"""Small pipelines the conformance suites run (module level, so worker processes can import them)."""

from __future__ import annotations

from stackyard.pipelines import pipeline, step


class ConformanceStepError(RuntimeError):
    """Raised on purpose by :func:`explode`."""


@step
def source(n: int) -> int:
    return n


@step
def double(value: int) -> int:
    return 2 * value


@step
def triple(value: int) -> int:
    return 3 * value


@step
def add(a: int, b: int) -> int:
    return a + b


@step
def gather(a: int, b: int, c: int, d: int) -> list:
    return [a, b, c, d]


@step
def explode(value: int) -> int:
    raise ConformanceStepError(f"step failed on purpose with {value}")


@pipeline
def diamond(n: int = 3):
    """source -> (double, triple) -> add: two branches that may run at once."""
    start = source(n=n)
    add(a=double(start), b=triple(start))


@pipeline
def wide():
    """Four independent sources gathered by one step."""
    gather(a=source(n=1), b=source(n=2), c=source(n=3), d=source(n=4))


@pipeline
def failing():
    """source -> explode -> double: the last step must never run."""
    double(explode(source(n=5)))


OPERATOR_NAME = "conformance"
"""The step operator name :func:`operated` asks for (the step operator suite names its component so)."""


@step(step_operator=OPERATOR_NAME)
def operated_step(value: int) -> dict:
    """Runs through the step operator: says where it ran and what it saw."""
    import os

    from stackyard.pipelines.step_context import get_step_context

    context = get_step_context()
    print(f"operated step ran in pid {os.getpid()}")
    context.add_metadata(ran_in=os.getpid())
    return {"value": value * 10, "pid": os.getpid(), "step": context.step_name, "run": context.run_name}


@step(step_operator=OPERATOR_NAME)
def operated_explode(value: int) -> int:
    raise ConformanceStepError(f"operated step failed on purpose with {value}")


@pipeline
def operated(n: int = 4):
    """source -> operated_step (through the step operator) -> gather of its value."""
    result = operated_step(source(n=n))
    unwrap(result)


@step
def unwrap(result: dict) -> int:
    return int(result["value"])


@pipeline
def operated_failing():
    """source -> operated_explode (through the step operator)."""
    operated_explode(source(n=6))


@step
def track(value: int) -> int:
    """Logs through the run's experiment tracker, as a training step would."""
    from stackyard.pipelines.step_context import get_step_context

    tracker = get_step_context().stack.experiment_tracker
    assert tracker is not None, "the stack has no experiment tracker"
    tracker.log_params({"value": value})
    tracker.log_metrics({"loss": 1.0 / value}, step=1)
    return value


@pipeline
def tracked(n: int = 2):
    """source -> track (logs a parameter and a metric through the experiment tracker)."""
    track(source(n=n))
