"""Values as JSON and text output show them."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def to_jsonable(v: Any) -> Any:
    """A value as JSON has it: dates and times as ISO strings, decimals as floats, NaN as
    null, lists and dicts element by element."""
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, Decimal):
        return float(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [to_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): to_jsonable(x) for k, x in v.items()}
    return v
