"""Run the quickstart pipeline on the active stack, then print what Stackyard recorded.

    python examples/quickstart/run.py [--C 0.5] [--test-size 0.3] [--no-cache]

Run it twice: the second time every unchanged step is served from cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import training_pipeline  # noqa: E402

from stackyard import Repository  # noqa: E402


def stackyard_command() -> str:
    """How to call this environment's ``stackyard`` from here: the bare name once the venv is active."""
    script = Path(sys.executable).parent / "stackyard"
    found = shutil.which("stackyard")
    if found is not None and Path(found).resolve() == script.resolve():
        return "stackyard"
    return os.path.relpath(script) if script.is_absolute() else str(script)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Train and evaluate a digit classifier on the active stack.")
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularization strength (default 1.0)")
    parser.add_argument("--test-size", type=float, default=0.25, help="share of images held out (default 0.25)")
    parser.add_argument("--no-cache", action="store_true", help="run every step even if unchanged")
    args = parser.parse_args(argv)

    run = training_pipeline(test_size=args.test_size, C=args.C).run(enable_cache=not args.no_cache)

    # Read the run back the way any later session would: from the metadata store of the active stack.
    repo = Repository()
    recorded = repo.get_pipeline("training_pipeline").runs[-1]
    assert recorded.id == run.id
    stack = repo.active_stack
    print(f"Pipeline run '{recorded.name}' on stack '{recorded.stack['name']}': {recorded.status.value}"
          f" in {recorded.duration:.2f}s")
    print(f"Parameters: {recorded.parameters}")
    print()
    print(f"{'STEP':<11} {'STATUS':<10} {'DURATION':>9}  OUTPUTS")
    for step_run in recorded.steps:
        outputs = ", ".join(f"{name} ({artifact.data_type.rsplit('.', 1)[-1]})" for name, artifact in step_run.outputs.items())
        print(f"{step_run.name:<11} {step_run.status.value:<10} {step_run.duration * 1000:>7.1f}ms  {outputs}")
    print()
    metrics = recorded.get_step("evaluate").output.read()
    model = recorded.get_step("train").output.read()
    print(f"Test accuracy {metrics['accuracy']:.3f}, macro F1 {metrics['f1_macro']:.3f} "
          f"on {metrics['test_samples']} held-out images (read back from the 'evaluate' artifact).")
    print(f"The trained model, read back: {model}")
    print()
    print(f"Artifacts:       {stack.artifact_store.path}")
    print(f"Metadata store:  {getattr(stack.metadata_store, 'uri', stack.metadata_store.name)}")
    print(f"Runs so far:     {len(repo.get_pipeline('training_pipeline').runs)}"
          " (run this again: unchanged steps come from cache)")
    print(f"Inspect it:      {stackyard_command()} pipeline run-describe {recorded.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
