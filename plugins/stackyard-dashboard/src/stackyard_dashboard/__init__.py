"""A read-only local web dashboard over the active profile: ``stackyard dashboard``.

The server (``starlette`` + ``uvicorn``) is imported only when the command
runs; importing this package, as plugin discovery does, costs nothing.
"""

__version__ = "0.1.0"
