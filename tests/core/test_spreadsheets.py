import pytest

from mailsoftly.core.spreadsheets import cell_neutralise


@pytest.mark.parametrize("value", ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx"])
def test_formula_starts_are_shown_as_text(value):
    assert cell_neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Ann", "a=b", "", 42, None])
def test_other_values_are_left_alone(value):
    assert cell_neutralise(value) == value
