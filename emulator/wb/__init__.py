"""The Wildberries seller API: tokens, the request pipeline, error bodies, routes, data and state."""
