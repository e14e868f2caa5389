"""What every layer shares: settings, accounts and their tokens, log redaction, the typed
errors, and the request shape with its JSON-path helper. Imports nothing else of harvester."""
