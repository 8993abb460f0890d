"""The ``default`` container registry: any OCI registry by URI (Docker Hub, GHCR, Harbor, distribution, ...).

Listing and checking speak the OCI distribution API over HTTP with the
standard library (``/v2/``, ``/v2/_catalog``, ``/v2/<repo>/tags/list``), with
basic auth or the bearer-token exchange registries announce in
``WWW-Authenticate``. Images travel as archives through ``skopeo``, which must
be on ``PATH`` only for pushing and pulling. Credentials are secret references;
they reach skopeo through a temporary auth file readable only by this user,
never on a command line.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from stackyard import SecretField
from stackyard.container_registries import BaseContainerRegistry, ContainerRegistryError

if TYPE_CHECKING:
    import urllib.error

_URI = re.compile(
    r"(?P<scheme>https?://)?(?P<host>[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?(:[0-9]{1,5})?)"
    r"(?P<namespace>(/[a-z0-9]+([._\-][a-z0-9]+)*)*)/?\Z"
)
_NAME = re.compile(r"[a-z0-9]+([._\-]+[a-z0-9]+)*(/[a-z0-9]+([._\-]+[a-z0-9]+)*)*\Z")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}\Z")
_TRANSPORTS = ("oci:", "oci-archive:", "docker-archive:", "dir:", "docker-daemon:", "containers-storage:")
_TIMEOUT = 30.0
_INSECURE_POLICY = {"default": [{"type": "insecureAcceptAnything"}]}


def split_image_name(image_name: str) -> tuple[str, str]:
    """``team/model:v1`` → ``("team/model", "v1")`` (tag ``latest`` when none); refuses malformed names."""
    repository, _, tag = image_name.partition(":")
    tag = tag or "latest"
    if not _NAME.match(repository) or not _TAG.match(tag):
        raise ContainerRegistryError(
            f"'{image_name}' is not an image name; use lowercase REPOSITORY[:TAG], e.g. team/model:v1"
        )
    return repository, tag


class DefaultContainerRegistry(BaseContainerRegistry):
    """Any OCI registry at ``uri``: lists repositories and tags, pushes and pulls image archives with skopeo."""

    FLAVOR: ClassVar[str] = "default"

    username: str | None = SecretField(default=None)
    """User name, as a secret reference; unset: anonymous."""
    password: str | None = SecretField(default=None)
    """Password or access token, as a secret reference; set together with username."""

    _token: Any = None

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        if not _URI.match(self.uri):
            raise ValueError(
                f"uri: '{self.uri}' is not a registry address; use HOST[:PORT][/NAMESPACE], e.g. "
                "ghcr.io/my-team, or http://127.0.0.1:5000 for a registry without TLS (no credentials in it)"
            )
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password: set both (as secret references) or neither (anonymous)")

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the cached Authorization header (it holds the credentials)."""
        state = dict(self.__dict__)
        state["_token"] = None
        return state

    # -- the address -------------------------------------------------------------

    @property
    def _parts(self) -> tuple[str, str, str]:
        match = _URI.match(self.uri)
        assert match is not None
        return match["scheme"] or "https://", match["host"], match["namespace"].strip("/")

    @property
    def base_url(self) -> str:
        """``https://host[:port]`` (``http://`` only when ``uri`` says so)."""
        scheme, host, _ = self._parts
        return f"{scheme}{host}"

    @property
    def tls(self) -> bool:
        """Whether the registry is reached over TLS (the default)."""
        return self._parts[0] == "https://"

    def _repository(self, repository: str) -> str:
        """``repository`` under the namespace of ``uri``."""
        namespace = self._parts[2]
        return f"{namespace}/{repository}" if namespace else repository

    def image_reference(self, image_name: str) -> str:
        repository, tag = split_image_name(image_name)
        return f"{self._parts[1]}/{self._repository(repository)}:{tag}"

    # -- HTTP (the OCI distribution API) -------------------------------------------

    def _credentials(self) -> tuple[str, str] | None:
        if self.username is None or self.password is None:
            return None
        for name in ("username", "password"):
            if "{{" in str(getattr(self, name)):
                raise ContainerRegistryError(
                    f"The container registry '{self.name}': parameter '{name}' still holds a secret reference; "
                    "it is resolved when the registry is used in a pipeline run "
                    "(or resolve it with the stack's secrets manager first)"
                )
        return self.username, self.password

    def _request(self, path: str, headers: dict[str, str]) -> tuple[Any, dict[str, str]]:
        import urllib.request  # here, not at import: listing flavors stays fast
        request = urllib.request.Request(self.base_url + path, headers=headers)
        with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:  # noqa: S310 - http(s) only, checked
            body, headers = response.read(), dict(response.headers)
        try:
            return json.loads(body or b"{}"), headers
        except ValueError:
            raise ContainerRegistryError(
                f"{self.base_url} answers {path}, but not as an OCI registry (no JSON); check uri"
            ) from None

    def _get(self, path: str) -> tuple[Any, dict[str, str]]:
        """GET ``path`` as JSON, answering a registry's basic or bearer challenge once."""
        import urllib.error
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = self._token
        try:
            try:
                return self._request(path, headers)
            except urllib.error.HTTPError as error:
                if error.code != 401:
                    raise
                headers["Authorization"] = self._token = self._authorize(error.headers.get("WWW-Authenticate", ""))
                return self._request(path, headers)
        except urllib.error.HTTPError as error:
            raise self._http_error(error, path) from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            raise ContainerRegistryError(
                f"Cannot reach the container registry '{self.name}' at {self.base_url}: {reason}; "
                "check that it runs and that uri is right (http:// for a registry without TLS)"
            ) from None

    def _http_error(self, error: urllib.error.HTTPError, path: str) -> ContainerRegistryError:
        """The error for an HTTP error answer; its ``status`` detail is the HTTP status code."""
        if error.code in (401, 403):
            how = "the username and password secrets" if self._credentials() else "credentials (username and password)"
            return ContainerRegistryError(
                f"The container registry '{self.name}' at {self.base_url} refused access ({error.code}); check {how}",
                status=error.code,
            )
        if error.code == 404:
            return ContainerRegistryError(f"The container registry '{self.name}' has no {path} (404)", status=404)
        return ContainerRegistryError(
            f"The container registry '{self.name}' at {self.base_url} answered {error.code} {error.reason} for {path}",
            status=error.code,
        )

    def _authorize(self, challenge: str) -> str:
        """The Authorization header answering a ``WWW-Authenticate`` challenge (basic or bearer token)."""
        import urllib.error
        import urllib.parse
        import urllib.request
        scheme, _, rest = challenge.partition(" ")
        credentials = self._credentials()
        if scheme.lower() == "basic":
            if credentials is None:
                raise urllib.error.HTTPError(self.base_url, 401, "credentials required", {}, None)  # type: ignore[arg-type]
            return "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
        if scheme.lower() != "bearer":
            raise ContainerRegistryError(
                f"The container registry '{self.name}' asks for '{scheme}' authentication, which is not supported"
            )
        params = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        realm = params.pop("realm", "")
        if not realm.startswith(("https://", "http://")):
            raise ContainerRegistryError(f"The container registry '{self.name}' gave no usable token realm")
        headers = {"Accept": "application/json"}
        if credentials is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(":".join(credentials).encode()).decode()
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(params)
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=_TIMEOUT) as response:  # noqa: S310
            answer = json.loads(response.read())
        token = answer.get("token") or answer.get("access_token")
        if not token:
            raise ContainerRegistryError(f"The token service of container registry '{self.name}' gave no token")
        return f"Bearer {token}"

    def check_connection(self) -> None:
        body, headers = self._get("/v2/")
        if not any(k.lower() == "docker-distribution-api-version" for k in headers) and body != {}:
            raise ContainerRegistryError(
                f"{self.base_url} answers, but not as an OCI registry (no /v2/ API); check uri"
            )

    def list_repositories(self) -> list[str]:
        import urllib.parse
        namespace = self._parts[2]
        names: list[str] = []
        path = "/v2/_catalog?n=1000"
        while path:
            body, headers = self._get(path)
            names.extend(body.get("repositories") or [])
            link = next((v for k, v in headers.items() if k.lower() == "link"), "")
            found = re.match(r"<([^>]+)>", link)
            path = urllib.parse.urlsplit(found.group(1))._replace(scheme="", netloc="").geturl() if found else ""
        if namespace:
            names = [n[len(namespace) + 1 :] for n in names if n.startswith(namespace + "/")]
        return sorted(names)

    def list_tags(self, repository: str) -> list[str]:
        if not _NAME.match(repository):
            raise ContainerRegistryError(f"'{repository}' is not a repository name; use lowercase names like team/model")
        try:
            body, _ = self._get(f"/v2/{self._repository(repository)}/tags/list")
        except ContainerRegistryError as error:
            if error.details.get("status") == 404:
                raise ContainerRegistryError(
                    f"The container registry '{self.name}' has no repository '{repository}'; "
                    "list them with list_repositories()"
                ) from None
            raise
        return sorted(body.get("tags") or [])

    # -- images (skopeo) ---------------------------------------------------------

    def push_image(self, image_name: str, source: str | None = None) -> str:
        """Push ``source`` (an image archive or layout; default: ``image_name`` from the local Docker daemon).

        ``source`` is an ``oci-archive`` or ``docker-archive`` tarball, an OCI
        layout folder, or any skopeo reference starting with ``oci:``,
        ``oci-archive:``, ``docker-archive:``, ``dir:``, ``docker-daemon:`` or
        ``containers-storage:``. Returns the image's full reference.
        """
        reference = self.image_reference(image_name)
        origin = _source_reference(source) if source is not None else f"docker-daemon:{image_name}"
        self._skopeo(origin, f"docker://{reference}", side="dest")
        return reference

    def pull_image(self, image_name: str, destination: str) -> str:
        """Pull ``image_name`` into an OCI archive file at ``destination`` (a folder: an OCI layout there)."""
        reference = self.image_reference(image_name)
        target = Path(destination)
        if target.is_dir():
            tag = split_image_name(image_name)[1]
            into = f"oci:{target}:{tag}"
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            into = f"oci-archive:{target}"
        self._skopeo(f"docker://{reference}", into, side="src")
        return str(target)

    def _skopeo(self, source: str, destination: str, *, side: str) -> None:
        import shutil
        import subprocess
        import tempfile
        binary = shutil.which("skopeo")
        if binary is None:
            raise ContainerRegistryError(
                "skopeo is not installed; install it (Debian/Ubuntu: apt-get install skopeo) to push and pull images"
            )
        with tempfile.TemporaryDirectory(prefix="stackyard-skopeo-") as work:
            command = [binary]
            if not Path("/etc/containers/policy.json").exists():
                policy = Path(work) / "policy.json"
                policy.write_text(json.dumps(_INSECURE_POLICY))
                command += ["--policy", str(policy)]
            command += ["copy", "--quiet"]
            credentials = self._credentials()
            if credentials is not None:
                auth = Path(work) / "auth.json"
                fd = os.open(auth, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                token = base64.b64encode(":".join(credentials).encode()).decode()
                with os.fdopen(fd, "w") as handle:
                    json.dump({"auths": {self._parts[1]: {"auth": token}}}, handle)
                command += [f"--{side}-authfile", str(auth)]
            if not self.tls:
                command += [f"--{side}-tls-verify=false"]
            command += [source, destination]
            done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            message = (done.stderr.strip().splitlines() or ["no output"])[-1]
            if credentials is not None:
                for secret in credentials:
                    message = message.replace(secret, "********")
            raise ContainerRegistryError(
                f"skopeo could not copy {source} to {destination} for the container registry '{self.name}': {message}"
            )


def _source_reference(source: str) -> str:
    """A skopeo reference for an image archive path or an explicit ``transport:`` reference."""
    if source.startswith(_TRANSPORTS):
        return source
    path = Path(source)
    if path.is_dir():
        if not (path / "oci-layout").is_file():
            raise ContainerRegistryError(f"'{source}' is a folder but not an OCI image layout (no oci-layout file)")
        return f"oci:{path}"
    if not path.is_file():
        raise ContainerRegistryError(
            f"'{source}' is neither an image archive nor a folder; give an oci-archive or docker-archive "
            f"tarball, an OCI layout folder, or a reference starting with one of {', '.join(_TRANSPORTS)}"
        )
    import tarfile

    try:
        with tarfile.open(path) as archive:
            names = {name.lstrip("./") for name in archive.getnames()}
    except (tarfile.TarError, OSError):
        raise ContainerRegistryError(f"'{source}' is not a readable image archive (tar)") from None
    if "oci-layout" in names:
        return f"oci-archive:{path}"
    if "manifest.json" in names:
        return f"docker-archive:{path}"
    raise ContainerRegistryError(f"'{source}' is a tar file but neither an OCI nor a Docker image archive")
