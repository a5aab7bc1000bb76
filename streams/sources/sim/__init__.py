"""The simulator: a realistic synthetic Makassar producing every feed (``marvec simulate``).

``data`` holds the city's static facts, ``world`` the complaints, markets and public
information, ``hazards`` the incidents, ``simulate`` the ``Simulator`` and its Kafka shell.
"""
