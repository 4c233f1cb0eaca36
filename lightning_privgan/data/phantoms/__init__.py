"""Embedded synthetic data sets (no download): chest X-ray and colour fundus phantoms."""
