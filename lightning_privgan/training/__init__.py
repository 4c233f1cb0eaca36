"""Training of the classifiers (φ_id, the auditor, φ_class, the downstream and shadow models).

The networks are built here (classifier_networks.py) and passed into the LightningModules of
models/classifier_module.py; the stages call these functions and write what they return.
"""
