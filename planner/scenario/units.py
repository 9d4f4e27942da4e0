"""Sizes as people write them, in MiB: ``512G``, ``7.68T``, ``64GiB``, ``1.92TB``, ``4096``.

Binary units (``K M G T P``, also ``KiB MiB GiB TiB PiB``) are powers of 1024; decimal ones
(``KB MB GB TB PB``) powers of 1000, as disk vendors write them. A bare number is MiB.

>>> to_mib("512G"), to_mib("1T"), to_mib("64GiB"), to_mib("4096"), to_mib(2048)
(524288, 1048576, 65536, 4096, 2048)
>>> to_mib("7.68TB"), to_mib("512M")
(7324218, 512)
"""

from __future__ import annotations

import math
import re

_BIN = {"": 1.0, "k": 1 / 1024, "m": 1.0, "g": 1024.0, "t": 1024.0 ** 2, "p": 1024.0 ** 3}
_DEC = {"k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15}
_RE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgtpKMGTP]?)(i?[bB])?\s*")


def to_mib(value: str | int | float) -> int:
    """``value`` in MiB (rounded down); a ValueError names what is wrong."""
    if isinstance(value, bool):
        raise ValueError("a size, not a boolean")
    if isinstance(value, int | float):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"size {value!r} must be positive")
        return int(value)
    m = _RE.fullmatch(value)
    if not m:
        raise ValueError(f"bad size {value!r}: want a number and a unit such as 512G, 7.68TB or 64GiB")
    num, unit, suffix = float(m.group(1)), m.group(2).lower(), m.group(3)
    if suffix and suffix.lower() == "b" and unit:  # GB, TB: decimal
        mib = num * _DEC[unit] / 1024 ** 2
    elif suffix and suffix.lower() == "b":
        raise ValueError(f"bad size {value!r}: a bare B (bytes) is not a size unit here")
    else:
        mib = num * _BIN[unit]
    if mib < 1:
        raise ValueError(f"size {value!r} must be at least 1 MiB")
    return int(mib + 1e-9)
