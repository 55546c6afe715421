"""The registry of fast link models."""

import pytest

from qkdn.keyrate.model import KeyRateModel
from qkdn.keyrate.registry import KEY_RATE_MODELS, get_model, model_names
from qnetsim.core.errors import ConfigError

REQUIRED = {"decoy-bb84", "decoy-bb84-vacuum-weak", "bb84-gllp", "bbm92", "mdi-qkd", "cv-qkd-gg02", "plob"}


def test_registry_holds_the_issue_protocols():
    assert REQUIRED <= set(model_names())
    assert model_names() == list(KEY_RATE_MODELS)


def test_each_model_is_registered_under_its_own_name():
    for name, model in KEY_RATE_MODELS.items():
        assert isinstance(model, KeyRateModel)
        assert model.name == name
        assert get_model(name) is model


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        KEY_RATE_MODELS["mine"] = KEY_RATE_MODELS["plob"]  # type: ignore[index]


def test_unknown_name_suggests_the_closest():
    with pytest.raises(
        ConfigError, match=r"protocol: unknown key-rate model 'decoy-bb48'; did you mean 'decoy-bb84'\?"
    ):
        get_model("decoy-bb48")
    with pytest.raises(ConfigError, match="models: decoy-bb84, "):
        get_model("zzz")
