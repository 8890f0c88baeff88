"""Cells for CSV/XLSX files that people open in spreadsheet programs."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_neutralise(value: object) -> object:
    """A value a spreadsheet will show as text, never run as a formula (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
