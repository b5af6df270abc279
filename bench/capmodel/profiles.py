"""Load profiles: upload times (seconds from 0) for steady rates, a burst, a daily cycle, or a user's CSV trace."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np


def steady(per_second: float, seconds: float, seed: int = 1) -> np.ndarray:
    """Poisson arrivals at a constant rate."""
    rng = np.random.default_rng(seed)
    count = rng.poisson(per_second * seconds)
    return np.sort(rng.uniform(0, seconds, count))


def burst(images: int, seconds: float, seed: int = 2) -> np.ndarray:
    """`images` uploads spread uniformly over `seconds` (e.g. a customer's bulk import)."""
    return np.sort(np.random.default_rng(seed).uniform(0, seconds, images))


def daily(mean_per_second: float, days: float = 1.0, peak_to_mean: float = 2.0, seed: int = 3) -> np.ndarray:
    """A day-night cycle: rate = mean * (1 + a cos(...)), peaking at 14:00 (thinned Poisson). A cosine around the
    mean that never goes below zero peaks at most at twice the mean."""
    if not 1.0 <= peak_to_mean <= 2.0:
        raise ValueError(f"a cosine day peaks between 1x and 2x its mean, not {peak_to_mean}x")
    rng = np.random.default_rng(seed)
    seconds, amplitude = days * 86400, peak_to_mean - 1
    peak = mean_per_second * (1 + amplitude)
    candidates = np.sort(rng.uniform(0, seconds, rng.poisson(peak * seconds)))
    rate = mean_per_second * (1 + amplitude * np.cos(2 * math.pi * (candidates / 86400 - 14 / 24)))
    return candidates[rng.uniform(0, peak, len(candidates)) < rate]


def from_csv(path: Path) -> np.ndarray:
    """A trace: one upload per row, column `timestamp` (seconds, any origin) or `offset_seconds`; or rows of
    `minute,count` (uploads per minute, spread evenly within the minute)."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise ValueError(f"{path}: no rows")
    columns = set(rows[0])
    if {"minute", "count"} <= columns:
        times = [
            float(r["minute"]) * 60 + 60 * (i + 0.5) / int(r["count"]) for r in rows for i in range(int(r["count"]))
        ]
    elif "timestamp" in columns or "offset_seconds" in columns:
        key = "timestamp" if "timestamp" in columns else "offset_seconds"
        times = [float(r[key]) for r in rows]
    else:
        raise ValueError(f"{path}: expected columns timestamp, offset_seconds, or minute,count; got {sorted(columns)}")
    values: np.ndarray = np.sort(np.array(times))
    start = float(values[0])
    return values - start
