"""`privgan replicate`: whole-pipeline replicates of one experiment and the report across them.

Top layer, beside sweep/ and release/: it imports the runner, the config and the audit
(only through internals.py), and nothing of the pipeline imports it.
"""
