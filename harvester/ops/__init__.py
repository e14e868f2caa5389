"""What ops and newcomers run: the CLI, the demo, status, account checks, Flower and metrics."""
