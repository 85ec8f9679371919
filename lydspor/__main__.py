"""``python -m lydspor``: the command line."""

from lydspor.cli import app

app()
