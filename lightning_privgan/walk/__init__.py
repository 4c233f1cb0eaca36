"""Latent walks: anchors (anchors, ksame, pairs), paths (losses, objective, chunk_budget, chunk_parallel, paths),
samples (sampling) and the streaming WalkerDataModule (stream_sharding, gate, datamodule)."""
