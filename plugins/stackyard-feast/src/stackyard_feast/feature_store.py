"""The ``feast`` feature store: reads features of a Feast feature repository from pipeline steps."""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

import attrs

from stackyard.exceptions import StackyardError
from stackyard.feature_stores import BaseFeatureStore

CONFIG_FILE = "feature_store.yaml"


class FeastFeatureStoreError(StackyardError):
    """Feast refused a read (an unknown feature or feature view, a repository not applied yet)."""


class FeastFeatureStore(BaseFeatureStore):
    """Serves the features of a Feast repository: historical ones for training, online ones for inference.

    Define and apply the features with Feast itself (``feast apply`` in the
    repository, or :meth:`apply` with Feast objects); steps read them through
    ``get_step_context().stack.feature_store``.
    """

    FLAVOR: ClassVar[str] = "feast"

    repo_path: str = attrs.field(
        metadata={"doc": "the Feast feature repository: a folder holding feature_store.yaml"}
    )

    _store: Any = None
    _store_pid: int | None = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        folder = Path(self.repo_path).expanduser()
        if not (folder / CONFIG_FILE).is_file():
            what = "is not a folder" if not folder.is_dir() else f"has no {CONFIG_FILE}"
            raise ValueError(
                f"repo_path: '{self.repo_path}' {what}; point it at a Feast feature repository "
                f"(a folder with {CONFIG_FILE}; `feast init` makes one)"
            )
        if not folder.is_absolute():  # runs may start elsewhere: keep the folder meant at registration
            object.__setattr__(self, "repo_path", str(folder.resolve()))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_store"] = state["_store_pid"] = None  # Feast's store holds connections: each process opens its own
        return state

    @property
    def folder(self) -> Path:
        """The repository folder, absolute."""
        return Path(self.repo_path).expanduser().resolve()

    def feast(self) -> Any:
        """The ``feast.FeatureStore`` of the repository, for anything this class does not wrap."""
        if self._store is None or self._store_pid != os.getpid():
            # Imported when features are read, never when flavors are listed.
            with _callers_warning_filters():
                from feast import FeatureStore

                self._store = FeatureStore(repo_path=str(self.folder))
            self._store_pid = os.getpid()
        return self._store

    # -- reading ------------------------------------------------------------

    def get_historical_features(self, entity_df: Any, features: Sequence[str]) -> Any:
        """Point-in-time correct values for the entities and ``event_timestamp`` of each row of ``entity_df``.

        Returns a pandas DataFrame: ``entity_df``'s columns plus one per feature.
        """
        with self._reading(features), _callers_warning_filters():
            return self.feast().get_historical_features(entity_df=entity_df, features=list(features)).to_df()

    def get_online_features(self, entity_rows: Sequence[dict[str, Any]], features: Sequence[str]) -> dict[str, list[Any]]:
        """The latest materialized values for ``entity_rows``, by feature name (entity keys included)."""
        with self._reading(features), _callers_warning_filters():
            response = self.feast().get_online_features(features=list(features), entity_rows=[dict(r) for r in entity_rows])
            return dict(response.to_dict())

    # -- writing ------------------------------------------------------------

    def apply(self, objects: Sequence[Any]) -> None:
        """Register Feast objects (entities, data sources, feature views) in the repository's registry."""
        with _callers_warning_filters():
            self.feast().apply(list(objects))

    def materialize(self, start_date: datetime, end_date: datetime) -> None:
        """Load feature values between the two dates from the offline store into the online store."""
        with _callers_warning_filters():
            self.feast().materialize(start_date=start_date, end_date=end_date)

    def materialize_incremental(self, end_date: datetime) -> None:
        """Load feature values since the last materialization up to ``end_date`` into the online store."""
        with _callers_warning_filters():
            self.feast().materialize_incremental(end_date=end_date)

    # -- helpers --------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self, features: Sequence[str]) -> Iterator[None]:
        """Turns Feast's errors about the request (unknown names) into one :class:`FeastFeatureStoreError` line."""
        features = list(features)
        try:
            yield
        except Exception as exc:
            from feast.errors import FeastError

            if isinstance(exc, FeastError):
                raise FeastFeatureStoreError(
                    f"Feature store '{self.name}' cannot read {', '.join(features)}: {exc}; "
                    "check the names against the repository (feast feature-views list) and run `feast apply` there"
                ) from exc
            raise


def _callers_warning_filters() -> warnings.catch_warnings:
    """Restores the warning filters on exit: feast's modules call ``warnings.simplefilter`` when
    imported (at ``import feast`` and lazily later), which would show every library's
    DeprecationWarning in the user's process."""
    return warnings.catch_warnings()

