"""``python -m stackyard_cli``: the same as the ``stackyard`` command."""

from stackyard_cli.main import main

main()
