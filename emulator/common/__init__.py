"""What both marketplaces share: the router, emulated time, injected faults, request-parameter
helpers, seeded randomness and the control routes."""
