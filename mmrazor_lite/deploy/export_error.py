"""The error every export step raises for a bad config or a failed check."""


class ExportError(RuntimeError):
    """The config or the export result is not what an export needs."""
