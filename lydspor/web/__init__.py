"""``lydspor serve``: the compliance web app over the access layer the CLI and notebooks use."""
