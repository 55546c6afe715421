"""Strict parsers for the command line's numeric options.

Click's own conversion accepts what Python's ``float()`` and ``int()`` accept
(``1_0`` is ten) and says only that a value is invalid. These parsers take the
numbers a scenario file takes (YAML 1.2: ``20``, ``-3``, ``2.0e6``, ``1e9``,
``.5``; ``inf`` and ``nan`` pass through so that validation can name the field)
and refuse anything else with what was expected and what was given:
``Invalid value for '--seed': must be an integer; got 'true'``.
"""

import math
import re

import typer

_INTEGER = re.compile(r"[-+]?[0-9]+")
_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NON_FINITE = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "nan": math.nan}


def integer(text: str | int) -> int:
    """A whole number written in decimal digits, with an optional sign (an option's default passes as is)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if not isinstance(text, str) or not _INTEGER.fullmatch(text.strip()):
        raise typer.BadParameter(f"must be an integer; got {text!r}")
    return int(text)


def number(text: str | float) -> float:
    """A decimal number (``0.5``, ``20``, ``2.0e6``); ``inf``/``nan`` are left for validation to refuse.

    An option's default (already a number) passes as is.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        raise typer.BadParameter(f"must be a number; got {text!r}")
    stripped = text.strip()
    if _NUMBER.fullmatch(stripped):
        return float(stripped)
    if stripped.lower() in _NON_FINITE:
        return _NON_FINITE[stripped.lower()]
    raise typer.BadParameter(f"must be a number; got {text!r}")
