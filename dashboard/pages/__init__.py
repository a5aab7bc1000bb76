"""One module per screen: ``layout``, ``render`` and ``register`` for /wall, /mayor, /crisis, /."""
