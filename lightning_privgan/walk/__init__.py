"""Latent walks: anchors (anchors, ksame, pairs), paths (losses, objective, memory, paths),
samples (sampling) and the streaming WalkerDataModule (tickets, gate, datamodule)."""
