"""pandas DataFrames and Series (pandas is imported only when one is written or read)."""

from __future__ import annotations

from typing import Any, ClassVar

from stackyard.materializers.base_materializer import BaseMaterializer

_FILE = "data.pandas.pickle"


class PandasMaterializer(BaseMaterializer):
    """A ``pandas.DataFrame`` or ``Series`` in pandas' own pickle format.

    It keeps every dtype, index and column name exactly, without needing
    pyarrow; it loads with the same major version of pandas.
    """

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ("pandas.DataFrame", "pandas.Series")

    def save(self, data: Any) -> None:
        import pandas as pd

        self.metadata["pandas_version"] = pd.__version__
        with self.open(_FILE, "wb") as f:
            data.to_pickle(f, compression=None)

    def load(self, data_type: type | None) -> Any:
        import pandas as pd

        with self.open(_FILE, "rb") as f:
            return pd.read_pickle(f, compression=None)
