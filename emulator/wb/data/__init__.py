"""Deterministic synthetic Wildberries data: pure functions of (seed, seller sid, ...), so tests
import them as the ground truth of what the routes serve."""
