"""Typed outputs of every stage: each stage's artifact names and loaders live in one class.

A stage writes through its own outputs object (`ctx.outputs`) and reads another stage's
only through `ctx.input(name)`, which the runner allows for declared `needs` alone.
Library code (walk/, audit/, data/, models/) receives the loaded objects, never a folder.
"""
