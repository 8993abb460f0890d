"""numpy arrays as ``.npy`` files (numpy is imported only when an array is written or read)."""

from __future__ import annotations

from typing import Any, ClassVar

from stackyard.materializers.base_materializer import BaseMaterializer

_ARRAY = "array.npy"
_OBJECT_ARRAY = "object_array.npy"


class NumpyMaterializer(BaseMaterializer):
    """A ``numpy.ndarray`` as one ``.npy`` file; arrays of Python objects are pickled inside it."""

    ASSOCIATED_TYPES: ClassVar[tuple[type | str, ...]] = ("numpy.ndarray",)

    def save(self, data: Any) -> None:
        import numpy as np

        if data.dtype.hasobject:
            self.warn("This array holds Python objects, so numpy pickled them inside the .npy file.")
            with self.open(_OBJECT_ARRAY, "wb") as f:
                np.save(f, data, allow_pickle=True)
            return
        with self.open(_ARRAY, "wb") as f:
            np.save(f, data, allow_pickle=False)

    def load(self, data_type: type | None) -> Any:
        import numpy as np

        try:
            with self.open(_ARRAY, "rb") as f:
                return np.load(f, allow_pickle=False)
        except FileNotFoundError:
            with self.open(_OBJECT_ARRAY, "rb") as f:
                return np.load(f, allow_pickle=True)
