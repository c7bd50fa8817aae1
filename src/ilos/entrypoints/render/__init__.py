"""Presentations shared by the CLI and, later, the HTTP API."""
