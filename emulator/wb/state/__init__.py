"""What the emulator remembers between Wildberries requests: token buckets, async tasks and CSV
reports."""
