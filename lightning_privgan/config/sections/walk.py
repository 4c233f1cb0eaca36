"""Settings of anchors, the PLAN walker and the synthetic stream."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional


@dataclass
class AnchorConfig:
    method: str = field(default="ksame", metadata={"help": "random | inverted | ksame"})
    k: int = field(default=3, metadata={"help": "k of k-same (group size lower bound)"})
    num_random: int = field(default=64, metadata={"help": "anchors per class for method=random"})
    pairing: str = field(default="random", metadata={"help": "random | nearest"})
    max_uses: int = field(default=4, metadata={"help": "times one anchor may appear in pairs"})
    num_pairs: int = field(default=64, metadata={"help": "pairs to walk"})
    max_images: Optional[int] = field(
        default=None,
        metadata={"help": "project at most this many train images (class-stratified, seeded) for inverted/ksame; null = all"},
    )


@dataclass
class WalkConfig:
    methods: List[str] = field(default_factory=lambda: ["linear", "plan"], metadata={"help": "path methods to compute"})
    n_steps: int = field(default=16, metadata={"help": "points per path, endpoints included"})
    optim_steps: int = field(default=500, metadata={"help": "Adam steps (paper: 500)"})
    lr: float = field(default=0.1, metadata={"help": "Adam lr (paper: 0.1)"})
    lambda_priv: float = field(default=1.0, metadata={"help": "weight of KL(uniform || φ_id); the paper's code uses 0.1, where the class term's gradient is ~10x the privacy term's and PLAN stays with linear (docs/why-plan.md; a single run: see docs/results.md)"})
    lambda_eq: float = field(default=1.0, metadata={"help": "weight of the equal-spacing term"})
    lambda_cls: float = field(default=1.0, metadata={"help": "weight of the class-keeping CE"})
    space: str = field(default="w", metadata={"help": "w (paper) | w+"})
    noise_mode: str = field(default="const", metadata={"help": "const | random | none"})
    clamp: bool = field(default=True, metadata={"help": "clamp images to [-1, 1] before the classifiers"})
    memory_budget_mb: Optional[float] = field(default=None, metadata={"help": "MB for the image chunks pushed through G and the nets; null = sized from the device (GPU: 60% of free memory; CPU: a cache-sized working set)"})
    early_stop_patience: int = field(default=20, metadata={"help": "freeze a pair once its loss has not improved by early_stop_rel_tol for N steps (0 = off: the paper's fixed optim_steps); 20 reached the 500-step paths' audit with 5x fewer steps (docs/walker.md)"})
    early_stop_rel_tol: float = field(default=1e-3, metadata={"help": "relative improvement of a pair's loss that counts as progress"})
    autocast: str = field(default="none", metadata={"help": "none | bf16 | fp16: render G and the classifiers in reduced precision during the walk (not bit-exact; untested on GPU). bf16 measured ~2x faster on an AVX512-bf16/AMX CPU but 17x slower on an AVX2 one, which emulates it: on a CPU without native support (torch.ops.mkldnn._is_mkldnn_bf16_supported / _fp16_) the walk runs in float32, with a warning"})
    channels_last: bool = field(default=True, metadata={"help": "run G and the classifiers in NHWC while walking (same paths, faster on oneDNN/cuDNN)"})
    pairs_per_chunk: int = field(default=64, metadata={"help": "pairs optimised together by the walk stage; each finished chunk is saved, so an interrupted walk resumes"})
    strip_paths: int = field(default=4, metadata={"help": "paths drawn per method in the walk stage's strips.png"})


@dataclass
class StreamConfig:
    samples_per_epoch: int = field(default=2048, metadata={"help": "synthetic images per epoch (all ranks together)"})
    batch_size: int = field(default=64, metadata={"help": "batch size"})
    pairs_per_batch: Optional[int] = field(default=None, metadata={"help": "distinct paths one batch draws from, capped by the rank's pairs (null = batch_size with refresh=cache; 8 with refresh=fresh, where each is walked anew per batch)"})
    refresh: str = field(default="cache", metadata={"help": "fresh (new paths every epoch) | cache (reuse optimised paths, new sampling points)"})
    interpolate: bool = field(default=True, metadata={"help": "sample between optimised points too"})
    gate: bool = field(default=False, metadata={"help": "privacy gate: reject samples whose auditor distance to the nearest real train image is below gate_threshold"})
    gate_threshold: Optional[float] = field(default=None, metadata={"help": "the gate's threshold (null = the audit's near-duplicate threshold: auditor distance, audit.near_duplicate_quantile of other-patient distances); a number needs stream.gate: true"})
    num_workers: int = field(default=0, metadata={"help": "workers handing out seeds"})
    autocast: str = field(default="none", metadata={"help": "none | bf16 | fp16: G renders the stream's batches in reduced precision (the images come out float32; not bit-exact); the audit renders its samples in float32 whatever this says. On a CPU without native support: float32, with a warning"})
