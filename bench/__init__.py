"""Relais performance harness (see ``bench/README.md``): ``python -m bench.run``."""
