"""Helpers shared by the tests: fabricated runs and data, stand-in networks and stages, workers."""
