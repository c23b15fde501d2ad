"""``python -m pipeline`` runs the ``jihua`` command."""

from .cli import main

main(prog_name="jihua")
