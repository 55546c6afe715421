"""Errors of the analysis package (it imports nothing from the simulator, so it has its own root)."""


class AnalysisError(ValueError):
    """Bad input to an analysis function: a missing column, an unusable argument."""


class ResultFolderError(AnalysisError):
    """A folder is not a readable qnetsim result folder."""


class OutputFolderError(AnalysisError):
    """A folder or file cannot be written where asked (exists with other content, a file, unwritable)."""
