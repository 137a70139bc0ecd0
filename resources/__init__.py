"""Installed as the package `core.resources` (see pyproject.toml), never imported as
`resources`: this file makes it a regular package, which editable installs can map."""
