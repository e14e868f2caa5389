"""Yandex Market route handlers."""
