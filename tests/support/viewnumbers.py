"""The page's number forms read back as docs/views.md says to, apart from the code that writes them
(``tbwriter.views.data.numbers``), so that tests and the bench check it rather than repeat it."""
from __future__ import annotations

import base64

import numpy as np


def decoded(data: str | dict) -> np.ndarray:
    """float64 of any form: a base64 string (float64), ``{"f4"}``, ``{"i4"}`` or ``{"from", "by", "count"}``."""
    if isinstance(data, str):
        return np.frombuffer(base64.b64decode(data), "<f8")
    if "f4" in data:
        return np.frombuffer(base64.b64decode(data["f4"]), "<f4").astype(np.float64)
    if "i4" in data:
        return np.frombuffer(base64.b64decode(data["i4"]), "<i4").astype(np.float64)
    return data["from"] + data["by"] * np.arange(data["count"])
