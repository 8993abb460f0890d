"""The CLI's command groups, one module each, imported only when their command runs."""
