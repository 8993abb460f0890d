"""Alerters: send messages, and ask questions, through a channel."""

from stackyard.alerters.base_alerter import BaseAlerter

__all__ = ["BaseAlerter"]
