"""Seeded randomness: every synthetic value is a pure function of its key (seed, seller, ...),
stable across processes."""

from __future__ import annotations

import hashlib
import random


def keyed_rng(*parts: object) -> random.Random:
    """A private RNG per key; string seeding is stable across processes."""
    return random.Random("|".join(map(str, parts)))


def keyed_hash(*parts: object) -> int:
    """A stable 64-bit number per key: cheaper than an RNG when one value is needed."""
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:8], "big")


