"""The ``lydspor`` command line: the command groups, assembled (one module per group)."""

from __future__ import annotations

import typer

from lydspor.cli import (
    access,
    compliance,
    dev,
    isolate,
    notebooks,
    pipeline,
    serve,
    transcribe,
)

app = typer.Typer(
    help="lydspor: recorded calls in; coaching, pain and NPS insight out; GDPR enforced.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(pipeline.app)
app.add_typer(compliance.app)
app.add_typer(transcribe.app)
app.add_typer(isolate.app)
app.add_typer(dev.app)
app.add_typer(compliance.hold_app, name="hold")
app.add_typer(compliance.audit_app, name="audit")
app.add_typer(access.app)
app.add_typer(notebooks.app)
app.add_typer(serve.app)  # lydspor serve, lydspor accounts
