"""Deterministic synthetic Yandex Market data: stores, offers, stocks and report files."""
