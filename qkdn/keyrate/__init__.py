"""Fast analytic QKD link models: key rate per pulse as a pure function of hardware and distance.

One module per protocol family (:mod:`~qkdn.keyrate.bb84`, :mod:`~qkdn.keyrate.bbm92`,
:mod:`~qkdn.keyrate.mdi`, :mod:`~qkdn.keyrate.cvqkd`) plus the repeaterless bounds
(:mod:`~qkdn.keyrate.bounds`); each formula's source is in its docstring. Models are
looked up by name in :mod:`~qkdn.keyrate.registry` and tabulated against distance by
:func:`~qkdn.keyrate.table.keyrate_table`::

    from qkdn.keyrate import hardware_preset, keyrate_table
    keyrate_table(["decoy-bb84", "plob"], [0, 50, 100], hardware_preset("gys"))
"""

from qkdn.keyrate.hardware import HARDWARE_PRESETS, KeyRateHardwareConfig, hardware_preset
from qkdn.keyrate.model import KeyRateModel, KeyRatePoint
from qkdn.keyrate.registry import KEY_RATE_MODELS, get_model, model_names
from qkdn.keyrate.table import KEYRATE_COLUMNS, distances_from_range, keyrate_table

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
