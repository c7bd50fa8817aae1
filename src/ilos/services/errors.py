"""Errors the use cases raise; entry points turn them into one-line messages and exit codes."""


class IlosError(Exception):
    """Base of every error ILOS reports to a person."""


class FileUnreadableError(IlosError):
    """A feed file that cannot be loaded at all (unknown format, missing required column)."""


class StoreError(IlosError):
    """The store cannot be opened or used."""
