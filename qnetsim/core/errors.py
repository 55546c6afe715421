"""The project's exception hierarchy.

One root, :class:`QNetSimError`, lives here in the lowest package so that every
layer (``qtn``, ``qkdn``, ``scenarios``) raises subclasses of it; the CLI catches
the root once. ``assert`` is kept for internal invariants only.
"""


class QNetSimError(Exception):
    """Root of every error this project raises on purpose."""


class ConfigError(QNetSimError, ValueError):
    """Bad input: a scenario, hardware description, CLI argument or API request.

    The CLI maps it to exit code 2.
    """


class SimulationError(QNetSimError, RuntimeError):
    """A run that started from valid input but could not complete.

    The CLI maps it to exit code 1.
    """
