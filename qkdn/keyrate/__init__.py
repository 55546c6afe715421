"""Fast analytic QKD link models: key rate per pulse as a pure function of hardware and distance.

One module per protocol family (:mod:`~qkdn.keyrate.bb84`, :mod:`~qkdn.keyrate.bbm92`,
:mod:`~qkdn.keyrate.mdi`, :mod:`~qkdn.keyrate.cvqkd`) plus the repeaterless bounds
(:mod:`~qkdn.keyrate.bounds`); each formula's source is in its docstring. Models are
looked up by name in :mod:`~qkdn.keyrate.registry` and tabulated against distance by
:func:`~qkdn.keyrate.table.keyrate_table`::

    from qkdn.keyrate import hardware_preset, keyrate_table
    keyrate_table(["decoy-bb84", "plob"], [0, 50, 100], hardware_preset("gys"))
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from qkdn.keyrate.hardware import HARDWARE_PRESETS, KeyRateHardwareConfig, hardware_preset
from qkdn.keyrate.model import KeyRateModel, KeyRatePoint
from qkdn.keyrate.registry import KEY_RATE_MODELS, get_model, model_names

if TYPE_CHECKING:
    from qkdn.keyrate.table import KEYRATE_COLUMNS, distances_from_range, keyrate_table

#: Names loaded from :mod:`qkdn.keyrate.table` on first use (PEP 562): the table is a pandas
#: DataFrame, and the links of a run use the models only (pandas is half a second of start-up).
_TABLE_NAMES = ("KEYRATE_COLUMNS", "distances_from_range", "keyrate_table")


def __getattr__(name: str) -> Any:
    if name in _TABLE_NAMES:
        return getattr(import_module("qkdn.keyrate.table"), name)
    raise AttributeError(f"module 'qkdn.keyrate' has no attribute {name!r}")


__all__ = [
    "HARDWARE_PRESETS",
    "KEYRATE_COLUMNS",
    "KEY_RATE_MODELS",
    "KeyRateHardwareConfig",
    "KeyRateModel",
    "KeyRatePoint",
    "distances_from_range",
    "get_model",
    "hardware_preset",
    "keyrate_table",
    "model_names",
]
