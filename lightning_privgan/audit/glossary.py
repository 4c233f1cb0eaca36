"""What each number of the report means, written into the report itself."""

GLOSSARY = """\
- **Budget** — every source's classifier trains the same optimiser steps at the same batch size
  (steps × batch), with the same `standard` augmentation and inverse-frequency class weights from
  its own labels; a finite source (real train split, k-same anchors) is reshuffled and cycled to
  reach it ("distinct" = how many different images it has), the stream draws fresh samples.
- **Accuracy / AUROC** — of a diagnostic classifier trained on that source alone and tested on the
  real test split (mean ± std over downstream seeds; checkpoint chosen on the real val split).
  Higher = more useful synthetic data.
- **MIA acc (loss)** — membership inference by loss threshold against that classifier: members are
  the real train images, non-members held-out patients never used by any model. Balanced accuracy
  of a threshold chosen on one half and scored on the other (0.5 = no leak). The mean is over seeds.
- **MIA acc (shadow)** — the shadow-model attack: shadow classifiers trained like the targets (same
  budget) on disjoint real data, members and non-members split by patient, a logistic regression
  on their sorted softmax + loss, applied to the target. Balanced accuracy (0.5 = no leak).
- **Release MIA AUC / TPR @ FPR** — membership inference against the released images themselves
  (the best closest-record attack over the distances that pass their null control): each real
  image (members = train, non-members = holdout, equal numbers by patient) is scored by its
  distance to the nearest synthetic image. AUC 0.5 = no leak; the interval is a percentile
  bootstrap over patients; the TPR is at the lowest FPR the non-members resolve (stated). "G
  random samples" attacks G's own random samples, the leak before any walk.
- **FD / KID** — Fréchet distance and kernel inception distance (×10³, mean ± std over random
  subsets) between features of the real train images and of the source's images, by torchmetrics
  on the features named below (Inception-v3 only with local weights; otherwise the offline
  encoder, so not comparable with published FIDs). Every source is measured on the same number
  of images (n below): FD is biased at small n, KID is not. Lower = closer in distribution.
  For Real: holdout vs train.
- **min dist** — mean over samples of the distance to the nearest real training image:
  *auditor* = 1 − cosine similarity of the independent auditor's embedding (never the walker's
  guide φ_id), *SSIM* = 1 − SSIM, *L2* = RMS pixel difference in [−1, 1] units, *LPIPS* when local
  weights exist. Higher = further from any training patient. For Real, holdout images (new
  patients) give the natural distance of a non-copy.
- **near-dup** — share of samples closer to a training image than the given quantile of
  distances between images of *different* real patients: as close as a rescan of one patient.
  The stream's privacy gate (when on) uses the auditor threshold by default, so a released sample
  is by construction no auditor near-duplicate; with the gate on, linear/PLAN rows describe the
  released (gated) samples.
- **re-id rate** — share of samples the auditor assigns to one training patient with softmax
  confidence ≥ the threshold below; compare with the auditor's false-alarm rate on holdout
  patients and with the uniform chance 1 / #identities.
- **Distance along the path** — for the same anchor pairs, the nearest-real distance of every
  step's image, linear vs PLAN (mean, 95% CI over pairs; the step table lists every step). A dip
  in the middle of the linear path means the straight line passes near a training patient.
"""
