"""Wildberries route handlers, one module per API section."""
