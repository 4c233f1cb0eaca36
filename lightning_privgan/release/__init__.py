"""A synthetic data set a hospital can publish: images, manifest, checksums and a privacy card.

  target      where a release may be written (never over a run, never over other files)
  run_inputs  what export and verify read from a finished run (G, paths, auditor, real reference)
  image_audit per-image privacy figures and the gate verdict of exactly the released images
  provenance  how the set was made: method settings, config hash, code version
  card        RELEASE.md rendered from release.json
  checksums   checksums.sha256 (sha256sum format), written and re-checked
  export      `privgan export`
  verify      `privgan verify`
"""
