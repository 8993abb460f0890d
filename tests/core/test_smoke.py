from stackyard import Repository


def test_first_use_creates_default_profile_and_stack() -> None:
    repo = Repository()
    assert repo.active_profile_name == "default"
    assert repo.active_stack_name == "default"
    stack = repo.active_stack
    assert (stack.orchestrator.FLAVOR, stack.artifact_store.FLAVOR, stack.metadata_store.FLAVOR) == (
        "local",
        "local",
        "sqlite",
    )
