"""The registry of fast link models: protocol name -> model object.

Scenario files and the CLI name a model by its key here; every model has the
interface of :class:`~qkdn.keyrate.model.KeyRateModel`. The registry is a
read-only mapping built once; a new model is added by adding a line below.
"""

import difflib
import types

from qkdn.keyrate.bb84 import DecoyBB84Model, GLLPBB84Model, VacuumWeakDecoyBB84Model
from qkdn.keyrate.bbm92 import BBM92Model
from qkdn.keyrate.bounds import PLOBBoundModel, TGWBoundModel
from qkdn.keyrate.cvqkd import GG02Model
from qkdn.keyrate.mdi import MDIQKDModel
from qkdn.keyrate.model import KeyRateModel
from qnetsim.core.errors import ConfigError

_MODELS: tuple[KeyRateModel, ...] = (
    DecoyBB84Model(),
    VacuumWeakDecoyBB84Model(),
    GLLPBB84Model(),
    BBM92Model(),
    MDIQKDModel(),
    GG02Model(),
    GG02Model(name="cv-qkd-gg02-heterodyne", detection="heterodyne"),
    PLOBBoundModel(),
    TGWBoundModel(),
)

#: Every registered model by name (read-only).
KEY_RATE_MODELS: types.MappingProxyType[str, KeyRateModel] = types.MappingProxyType(
    {model.name: model for model in _MODELS}
)


def get_model(name: str) -> KeyRateModel:
    """The model registered as ``name``.

    Raises:
        ConfigError: no such model (with the closest name, if any).
    """
    try:
        return KEY_RATE_MODELS[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(KEY_RATE_MODELS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"protocol: unknown key-rate model {name!r}{hint} (models: {', '.join(KEY_RATE_MODELS)})"
        ) from None


def model_names() -> list[str]:
    """Registered model names, in registry order."""
    return list(KEY_RATE_MODELS)
