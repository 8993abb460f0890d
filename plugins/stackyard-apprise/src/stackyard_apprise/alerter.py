"""The ``apprise`` alerter: one flavor for every service Apprise reaches (Slack, Discord, Teams, e-mail, ntfy, ...)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from stackyard import SecretField
from stackyard.alerters import BaseAlerter
from stackyard.exceptions import StackyardError


class AppriseURLError(StackyardError, ValueError):
    """Apprise does not recognise one of the alerter's URLs (the message never quotes them: they are secret)."""


class AppriseAlerter(BaseAlerter):
    """Posts messages through Apprise to every service its URLs name.

    The URLs carry credentials (webhook tokens, passwords), so ``urls`` takes
    only a secret reference such as ``{{alerts.urls}}``; Stackyard resolves it
    from the stack's secrets manager inside a run.
    """

    FLAVOR: ClassVar[str] = "apprise"

    urls: str = SecretField(
        doc="one or more Apprise URLs (slack://..., json://host/path, mailto://...) separated by spaces or "
        "commas, as a secret reference such as {{alerts.urls}}"
    )
    title: str = "Stackyard"
    """The title of every message (services without titles put it in front of the body)."""

    def post(self, message: str) -> bool:
        """Send ``message`` to every URL; return whether all of them took it."""
        from apprise.utils.parse import parse_urls  # imported when a message is sent, never when flavors are listed

        urls = parse_urls(self.urls)  # split once, as Apprise splits them: the redaction covers what it sends to
        with _redacting(urls):
            return bool(self._client(urls).notify(body=message, title=self.title))

    def ask(self, question: str) -> bool:
        raise NotImplementedError("The apprise alerter only sends messages; it cannot receive answers. Use post().")

    def _client(self, urls: list[str]) -> Any:
        """An ``apprise.Apprise`` holding every URL; :class:`AppriseURLError` if one is not a service URL."""
        import apprise

        client = apprise.Apprise()
        bad = sum(1 for url in urls if not client.add(url))
        if bad or not urls:
            raise AppriseURLError(
                f"Alerter '{self.name}': urls: Apprise does not recognise {bad or 'any'} of its "
                f"{len(urls)} URL(s) (the values are secret and not shown); check each URL's scheme "
                "(slack://, json://, mailto://, ...) in the secret the reference names "
                "(stackyard secret get <secret> --reveal shows it)"
            )
        return client


def secret_parts(urls: Iterable[str]) -> set[str]:
    """The pieces of ``urls`` that may be credentials: whole URLs, user info, hosts without a dot, path parts, query values.

    Apprise masks passwords in its own log lines, but not tokens that its
    services keep in the host or path (``slack://TokenA/TokenB/TokenC``), and it
    logs a URL it cannot parse as it is.
    """
    from urllib.parse import parse_qsl, urlsplit

    parts: set[str] = set()
    for url in urls:
        if not url:
            continue
        parts.add(url)
        split = urlsplit(url)
        userinfo, _, host = split.netloc.rpartition("@")
        parts.update(userinfo.split(":"))
        hostname = host.rsplit(":", 1)[0]
        if "." not in hostname:
            parts.add(hostname)
        parts.update(split.path.split("/"))
        parts.update(value for _, value in parse_qsl(split.query))
    return {part for part in parts if len(part) >= 4}


_LOGGERS = ("apprise", "urllib3.connectionpool", "requests")
"""Who logs while Apprise sends: Apprise itself, and the HTTP client under it (request lines hold URL paths)."""


class _Redact(logging.Filter):
    def __init__(self, secrets: set[str]) -> None:
        super().__init__()
        self.secrets = sorted(secrets, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if any(secret in text for secret in self.secrets):
            for secret in self.secrets:
                text = text.replace(secret, "****")
            record.msg, record.args = text, None
        return True


@contextlib.contextmanager
def _redacting(urls: Iterable[str]) -> Iterator[None]:
    """While Apprise runs, every line it (or its HTTP client) logs has the URLs' secret parts replaced by ``****``."""
    redact = _Redact(secret_parts(urls))
    loggers = [logging.getLogger(name) for name in _LOGGERS]
    for logger in loggers:
        logger.addFilter(redact)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(redact)
