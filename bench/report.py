"""Percentiles and the printed table."""
from __future__ import annotations

import math


def percentile(values, p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of ``values``; None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_summary(seconds) -> dict:
    values = list(seconds)
    as_ms = lambda v: None if v is None else round(v * 1000, 1)  # noqa: E731
    return {
        "count": len(values),
        "p50_ms": as_ms(percentile(values, 50)),
        "p90_ms": as_ms(percentile(values, 90)),
        "p99_ms": as_ms(percentile(values, 99)),
        "max_ms": as_ms(max(values) if values else None),
    }


def fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:,.1f}"
    return f"{value}{unit}"


def table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    """A plain Markdown table (pastes into docs unchanged)."""
    cells = [headers, *rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(headers))]
    line = lambda row: "| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |"  # noqa: E731
    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(row) for row in rows)])
