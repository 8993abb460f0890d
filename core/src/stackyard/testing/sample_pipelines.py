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
