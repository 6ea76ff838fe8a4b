"""Baseline (a) of `make bench`: a minimal Django project (no DRF, no middleware, no apps)."""
