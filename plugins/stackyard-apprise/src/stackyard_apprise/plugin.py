"""Hook implementations: Stackyard calls these to learn which flavors this package provides."""

from __future__ import annotations

from stackyard import hookimpl


@hookimpl
def stackyard_alerter_flavors() -> list[type]:
    from stackyard_apprise.alerter import AppriseAlerter

    return [AppriseAlerter]
