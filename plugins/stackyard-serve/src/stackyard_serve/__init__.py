"""Stackyard model deployer ``local``: model artifacts served over HTTP on 127.0.0.1.

Importing this package imports neither Starlette nor Uvicorn: the server
process (:mod:`stackyard_serve.server`) does.
"""

__version__ = "0.1.0"
