"""numpy arrays as ``.npy`` files (numpy is imported only when an array is written or read)."""

from __future__ import annotations

import sys
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
            _save(np, f, data)

    def load(self, data_type: type | None) -> Any:
        import numpy as np

        try:
            with self.open(_ARRAY, "rb") as f:
                return np.load(f, allow_pickle=False)
        except FileNotFoundError:
            with self.open(_OBJECT_ARRAY, "rb") as f:
                return np.load(f, allow_pickle=True)


def _save(np: Any, file: Any, array: Any) -> None:
    """``numpy.save(file, array)``, byte for byte, with the data in one ``write`` of the array's memory.

    ``numpy.save`` writes straight from memory only into a real file; into
    any other file object (the hashing file of an artifact, a remote store's
    file) it copies the array in 16 MiB chunks first. A contiguous array of
    a plain dtype needs no copy: write numpy's header, then the array's
    buffer. Anything else goes through ``numpy.save``.
    """
    contiguous = array.flags.c_contiguous or array.flags.f_contiguous
    if not contiguous or array.dtype.names is not None or array.dtype.subdtype is not None:
        np.save(file, array, allow_pickle=False)
        return
    from numpy.lib import format as npy

    npy.write_array_header_1_0(file, npy.header_data_from_array_1_0(array))
    in_order = array if array.flags.c_contiguous else array.T  # numpy stores Fortran order as is
    _preallocate(file, array.nbytes)
    file.write(memoryview(in_order.reshape(-1).view(np.uint8)))


_PREALLOCATE = 16 * 1024 * 1024
_fallocate: Any = None


def _preallocate(file: Any, nbytes: int) -> None:
    """Reserve disk space for a large write, as ``numpy.tofile`` does (Linux; a hint, errors ignored).

    Writing into reserved space is about a quarter faster on ext4 than
    growing the file as it is written.
    """
    global _fallocate
    if nbytes < _PREALLOCATE or not sys.platform.startswith("linux"):
        return
    if _fallocate is None:
        try:
            import ctypes

            function = ctypes.CDLL(None, use_errno=True).fallocate
            function.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong)
            _fallocate = function
        except Exception:  # noqa: BLE001 - no ctypes or no fallocate in this libc
            _fallocate = False
    if not _fallocate:
        return
    try:
        fd, offset = file.fileno(), file.tell()
    except Exception:  # noqa: BLE001 - not a real file (a remote store's, an in-memory one)
        return
    _fallocate(fd, 1, offset, nbytes)  # 1: FALLOC_FL_KEEP_SIZE, so the file's size stays what is written
