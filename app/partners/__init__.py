"""Partner answers as the web app serves them (``cache``: per data version)."""
