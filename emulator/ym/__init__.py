"""The Yandex Market partner API: Api-Keys, the request pipeline, checks, routes, data and state."""
