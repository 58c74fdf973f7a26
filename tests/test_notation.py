"""Tests for symbackprop.notation: parameter names as each profile's reader types them."""

from __future__ import annotations

import pytest

from symbackprop.errors import UserError
from symbackprop.model import Parameter
from symbackprop.notation import PROFILES

PARAMETERS = [Parameter("w", 1, 2, 1), Parameter("w", 3, 10, 2), Parameter("b", 2, 4), Parameter("b", 1, 12)]


@pytest.mark.parametrize("name", list(PROFILES))
def test_notation_reads_back_the_names_it_writes(name):
    profile = PROFILES[name]
    for parameter in PARAMETERS:
        assert profile.read_parameter(profile.parameter_name(parameter)) == parameter
        assert profile.read_parameter(profile.parameter_name(parameter, braces=True)) == parameter


@pytest.mark.parametrize("name, text, parameter", [
    ("nielsen", "w^2_{11}", Parameter("w", 2, 1, 1)),
    ("ng", "theta^(1)_{21}", Parameter("w", 1, 2, 1)),  # θ^(1) maps Ng layer 1 (the input) to 2: core weights 1
    ("ng", "b^{(2)}_3", Parameter("b", 2, 3)),
    ("higham", "w^[3]_{12}", Parameter("w", 2, 1, 2)),  # Higham's input is layer 1, so W^[3] is core layer 2
    ("higham", "b^[2]_1", Parameter("b", 1, 1)),
])
def test_notation_maps_profile_layers_to_core_layers(name, text, parameter):
    assert PROFILES[name].read_parameter(text) == parameter


@pytest.mark.parametrize("name, text", [
    ("nielsen", "w^(2)_{11}"), ("nielsen", "theta^2_{11}"), ("ng", "w^[2]_{11}"), ("ng", "Theta^(2)_{11}"),
    ("higham", "w^(2)_{11}"), ("higham", "theta^[2]_{11}"), ("higham", "w^[2_{11}"),
])
def test_notation_rejects_other_profiles_spelling(name, text):
    with pytest.raises(UserError, match="expected a weight like"):
        PROFILES[name].read_parameter(text)
