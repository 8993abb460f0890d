"""The S3 artifact store: artifacts as objects in a bucket of Amazon S3 or any S3-compatible service.

Object stores have no folders, only keys. This store gives Stackyard the
folder semantics its artifact store contract asks for:

- a folder exists while at least one key starts with ``folder/``;
- :meth:`S3ArtifactStore.makedirs` writes an empty *folder marker* object
  ``folder/`` (the convention of the AWS console and most S3 tools), so an
  empty folder exists too;
- :meth:`~S3ArtifactStore.listdir` and :meth:`~S3ArtifactStore.walk` show
  the folders implied by keys and markers, never the markers themselves;
- :meth:`~S3ArtifactStore.rmtree` deletes every key under the folder, markers
  included.

s3fs (and through it aiobotocore) is imported on first use, never when
Stackyard lists or registers flavors.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, ClassVar

from stackyard import SecretField
from stackyard.artifact_stores import BaseArtifactStore

if TYPE_CHECKING:
    from s3fs import S3FileSystem

SCHEME = "s3://"

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]\Z")
"""S3 bucket naming rules: 3-63 lowercase letters, digits, dots and hyphens, starting and ending alphanumeric."""

FIRST_READ = 16 * 1024 * 1024
"""Artifacts up to this size are read with one GET (no HEAD first); larger ones in s3fs's ranged blocks."""

_DELETE_BATCH = 1000
"""The most keys one DeleteObjects request takes."""


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` → ``("bucket", "a/b")``; refuses anything that is not a clean S3 URI."""
    if not uri.startswith(SCHEME):
        raise ValueError(f"'{uri}' is not an S3 URI; use s3://bucket/prefix")
    bucket, _, key = uri[len(SCHEME) :].partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise ValueError(
            f"'{uri}' does not name a valid S3 bucket ('{bucket}'): use 3-63 lowercase letters, "
            "digits, dots and hyphens, as in s3://my-bucket/artifacts"
        )
    key = key.strip("/")
    parts = key.split("/") if key else []
    if any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"'{uri}' has an empty, '.' or '..' path segment; use s3://bucket/prefix")
    return bucket, key


class Upload(io.BufferedIOBase):
    """A file being written to S3: kept in memory, spilled to a temp file past ``SPOOL_BYTES``, sent on close.

    One ``PutObject`` (or s3fs's multipart upload for large files) per artifact,
    as raw ``pipe_file``/``put_file`` would do; a ``with`` block that raises
    uploads nothing, so no half-written artifact appears in the bucket.
    """

    SPOOL_BYTES: ClassVar[int] = 64 * 1024 * 1024

    def __init__(self, filesystem: S3FileSystem, key: str) -> None:
        super().__init__()
        self._fs = filesystem
        self._key = key
        self._memory: io.BytesIO | None = io.BytesIO()
        self._disk: Any = None

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.closed:
            raise ValueError("write to a closed file")
        if self._memory is not None and self._memory.tell() + len(data) > self.SPOOL_BYTES:
            self._disk = tempfile.NamedTemporaryFile(prefix="stackyard-s3-", delete=False)  # noqa: SIM115
            self._disk.write(self._memory.getbuffer())
            self._memory = None
        return (self._memory if self._memory is not None else self._disk).write(data)  # type: ignore[no-any-return]

    def tell(self) -> int:
        return (self._memory if self._memory is not None else self._disk).tell()  # type: ignore[no-any-return]

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._memory is not None:
                self._fs.pipe_file(self._key, self._memory.getvalue())
            else:
                self._disk.close()
                self._fs.put_file(self._disk.name, self._key)
        finally:
            self._discard()

    def _discard(self) -> None:
        self._memory = None
        if self._disk is not None:
            self._disk.close()
            os.unlink(self._disk.name)
            self._disk = None
        super().close()

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is not None:
            self._discard()
        else:
            self.close()


class S3ArtifactStore(BaseArtifactStore):
    """Keeps artifacts in an S3 bucket (AWS, MinIO, Ceph, Cloudflare R2, ...) through s3fs."""

    FLAVOR: ClassVar[str] = "s3"
    SUPPORTED_SCHEMES: ClassVar[set[str]] = {SCHEME}

    endpoint_url: str | None = None
    """URL of an S3-compatible service, e.g. http://127.0.0.1:9000 for MinIO; unset for AWS."""
    region: str | None = None
    """The bucket's region, e.g. eu-west-1; unset: the AWS configuration's default."""
    key: str | None = SecretField(default=None)
    """Access key id, as a secret reference; unset: the standard AWS credential chain (env, ~/.aws, role)."""
    secret: str | None = SecretField(default=None)
    """Secret access key, as a secret reference; set together with key."""
    client_kwargs: dict[str, str] = {}
    """Further options for the botocore client, e.g. {"verify": "/etc/ssl/my-ca.pem"} or {"api_version": "2006-03-01"}."""

    _fs: Any = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        split_uri(self.path)
        if self.endpoint_url is not None and not re.match(r"https?://[^/\s@]+(/\S*)?\Z", self.endpoint_url):
            raise ValueError(
                f"endpoint_url: '{self.endpoint_url}' is not an http(s) URL without credentials; "
                "use e.g. http://127.0.0.1:9000 and give credentials as key and secret references"
            )
        if (self.key is None) != (self.secret is None):
            raise ValueError("key and secret: set both (as secret references) or neither (AWS credential chain)")

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the live file system: it holds resolved credentials and an event loop."""
        state = dict(self.__dict__)
        state["_fs"] = None
        return state

    # -- the client ------------------------------------------------------------

    @property
    def filesystem(self) -> S3FileSystem:
        """The s3fs file system for this store (s3fs is imported on first use)."""
        if self._fs is None:
            from stackyard.secrets import find_references

            for name in ("key", "secret"):
                if find_references(getattr(self, name)):
                    raise RuntimeError(
                        f"The S3 artifact store '{self.name}': parameter '{name}' still holds a secret "
                        "reference; it is resolved when the store is used in a pipeline run or when "
                        "reading a run's artifacts back (stackyard.secrets.resolve_stack_secrets(stack))"
                    )
            import s3fs

            client_kwargs: dict[str, Any] = dict(self.client_kwargs)
            if self.region is not None:
                client_kwargs.setdefault("region_name", self.region)
            self._fs = s3fs.S3FileSystem(
                key=self.key,
                secret=self.secret,
                endpoint_url=self.endpoint_url,
                client_kwargs=client_kwargs,
                use_listings_cache=False,  # other processes write to the same bucket
                skip_instance_cache=True,  # no process-wide cache holding these credentials
            )
        return self._fs  # type: ignore[no-any-return]

    def _call(self, method: str, **kwargs: Any) -> Any:
        return self.filesystem.call_s3(method, **kwargs)

    def _keys(self, bucket: str, prefix: str, delimiter: str = "") -> Iterator[dict[str, Any]]:
        """Every page of ``ListObjectsV2`` for ``prefix``."""
        kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
        if delimiter:
            kwargs["Delimiter"] = delimiter
        while True:
            page = self._call("list_objects_v2", **kwargs)
            yield page
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def _all_keys(self, bucket: str, prefix: str) -> list[str]:
        return [item["Key"] for page in self._keys(bucket, prefix) for item in page.get("Contents", [])]

    def _is_file(self, bucket: str, key: str) -> bool:
        if not key:
            return False
        try:
            self._call("head_object", Bucket=bucket, Key=key)
        except FileNotFoundError:
            return False
        return True

    @staticmethod
    def _folder_prefix(key: str) -> str:
        return f"{key}/" if key else ""

    # -- files -------------------------------------------------------------------

    def open(self, path: str, mode: str = "r") -> IO[Any]:
        bucket, key = split_uri(path)
        if mode not in ("r", "rb", "w", "wb"):
            raise ValueError(f"mode '{mode}' is not supported by the S3 artifact store; use r, rb, w or wb")
        if mode.startswith("w"):
            upload = Upload(self.filesystem, f"{bucket}/{key}")
            return upload if mode == "wb" else io.TextIOWrapper(upload, encoding="utf-8")  # type: ignore[return-value]
        reader = self._reader(bucket, key)
        return reader if mode == "rb" else io.TextIOWrapper(reader, encoding="utf-8")  # type: ignore[return-value]

    def _reader(self, bucket: str, key: str) -> IO[bytes]:
        """A seekable reader: one GET for an artifact up to ``FIRST_READ`` bytes, s3fs's ranged reads past it."""
        from fsspec.asyn import sync

        fs = self.filesystem

        async def first_part() -> tuple[bytes, int]:
            try:
                answer = await fs._call_s3("get_object", Bucket=bucket, Key=key, Range=f"bytes=0-{FIRST_READ - 1}")
            except FileNotFoundError:
                raise
            except OSError:  # an empty object has no byte 0 to range over (InvalidRange)
                answer = await fs._call_s3("get_object", Bucket=bucket, Key=key)
            body = answer["Body"]
            try:
                data = await body.read()
            finally:
                body.close()
            total = answer.get("ContentRange", "").rpartition("/")[2]
            return data, int(total) if total.isdigit() else len(data)

        data, total = sync(fs.loop, first_part)
        if len(data) >= total:
            return io.BytesIO(data)
        return fs.open(f"{bucket}/{key}", "rb", size=total)  # type: ignore[no-any-return]

    def exists(self, path: str) -> bool:
        bucket, key = split_uri(path)
        return self._is_file(bucket, key) or self.isdir(path)

    def isdir(self, path: str) -> bool:
        bucket, key = split_uri(path)
        if not key:
            return bool(self.filesystem.exists(bucket))
        try:
            page = self._call("list_objects_v2", Bucket=bucket, Prefix=f"{key}/", MaxKeys=1)
        except FileNotFoundError:  # no such bucket
            return False
        return bool(page.get("KeyCount") or page.get("Contents"))

    def listdir(self, path: str) -> list[str]:
        bucket, key = split_uri(path)
        prefix = self._folder_prefix(key)
        names: set[str] = set()
        found = False
        for page in self._keys(bucket, prefix, delimiter="/"):
            for item in page.get("CommonPrefixes", []):
                found = True
                names.add(item["Prefix"][len(prefix) :].rstrip("/"))
            for item in page.get("Contents", []):
                found = True
                if item["Key"] != prefix:  # the folder's own marker
                    names.add(item["Key"][len(prefix) :])
        if not found and not (not key and self.isdir(path)):
            raise FileNotFoundError(path)
        return sorted(names)

    def makedirs(self, path: str) -> None:
        bucket, key = split_uri(path)
        if not key:
            if not self.filesystem.exists(bucket):
                raise FileNotFoundError(f"bucket '{bucket}' does not exist; create it first ({path})")
            return
        self._call("put_object", Bucket=bucket, Key=f"{key}/", Body=b"")

    def remove(self, path: str) -> None:
        bucket, key = split_uri(path)
        if not self._is_file(bucket, key):
            raise FileNotFoundError(path)
        self._call("delete_object", Bucket=bucket, Key=key)

    def rmtree(self, path: str) -> None:
        bucket, key = split_uri(path)
        keys = self._all_keys(bucket, self._folder_prefix(key))
        if not keys:
            raise FileNotFoundError(path)
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": k} for k in keys[start : start + _DELETE_BATCH]]
            self._call("delete_objects", Bucket=bucket, Delete={"Objects": batch, "Quiet": True})

    def rename(self, src: str, dst: str, overwrite: bool = False) -> None:
        self.copyfile(src, dst, overwrite=overwrite)
        self.remove(src)

    def copyfile(self, src: str, dst: str, overwrite: bool = False) -> None:
        src_bucket, src_key = split_uri(src)
        dst_bucket, dst_key = split_uri(dst)
        if not self._is_file(src_bucket, src_key):
            raise FileNotFoundError(src)
        if not overwrite and self._is_file(dst_bucket, dst_key):
            raise FileExistsError(dst)
        self.filesystem.copy(f"{src_bucket}/{src_key}", f"{dst_bucket}/{dst_key}")

    def glob(self, pattern: str) -> list[str]:
        split_uri(pattern)
        found = self.filesystem.glob(pattern[len(SCHEME) :])
        return sorted(SCHEME + p for p in found if not p.endswith("/"))

    def size(self, path: str) -> int:
        bucket, key = split_uri(path)
        if not key:
            raise FileNotFoundError(path)
        try:
            head = self._call("head_object", Bucket=bucket, Key=key)
        except FileNotFoundError:
            raise FileNotFoundError(path) from None
        return int(head["ContentLength"])

    def walk(self, top: str) -> Iterator[tuple[str, list[str], list[str]]]:
        bucket, key = split_uri(top)
        prefix = self._folder_prefix(key)
        folders: dict[str, tuple[set[str], set[str]]] = {}
        for full in self._all_keys(bucket, prefix):
            parts = full[len(prefix) :].split("/")
            *dirs, name = parts
            for depth in range(len(dirs) + 1):
                folders.setdefault("/".join(dirs[:depth]), (set(), set()))
                if depth < len(dirs):
                    folders["/".join(dirs[:depth])][0].add(dirs[depth])
            if name:  # "" is a folder marker
                folders["/".join(dirs)][1].add(name)
        root = top.rstrip("/")

        def visit(relative: str) -> Iterator[tuple[str, list[str], list[str]]]:
            subdirs, files = folders[relative]
            dirs = sorted(subdirs)
            yield (f"{root}/{relative}" if relative else root), dirs, sorted(files)
            for name in dirs:
                yield from visit(f"{relative}/{name}" if relative else name)

        if folders:
            yield from visit("")
