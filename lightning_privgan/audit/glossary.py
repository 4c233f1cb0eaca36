"""What each number of the report means, written into the report itself."""

GLOSSARY = """\
- **Accuracy / AUROC** — of a diagnostic classifier trained on that source alone and tested on the
  real test split (mean ± std over downstream seeds; checkpoint chosen on the real val split).
  Higher = more useful synthetic data.
- **MIA acc (loss)** — membership inference by loss threshold against that classifier: members are
  the real train images, non-members held-out patients never used by any model. Balanced accuracy
  of a threshold chosen on one half and scored on the other (0.5 = no leak). The mean is over seeds.
- **MIA acc (shadow)** — the shadow-model attack: shadow classifiers trained like the real-data
  target on disjoint real data, a logistic regression on their sorted softmax + loss, applied to
  the target. Balanced accuracy (0.5 = no leak).
- **FD** — Fréchet distance between features of the real train images and of the source's images
  (features named below; lower = closer in distribution). For Real: holdout vs train.
- **min dist** — mean over samples of the distance to the nearest real training image:
  *auditor* = 1 − cosine similarity of the independent auditor's embedding (never the walker's
  guide φ_id), *SSIM* = 1 − SSIM, *L2* = RMS pixel difference in [−1, 1] units, *LPIPS* when local
  weights exist. Higher = further from any training patient. For Real, holdout images (new
  patients) give the natural distance of a non-copy.
- **near-dup** — share of samples closer to a training image than the given quantile of
  distances between images of *different* real patients: as close as a rescan of one patient.
- **re-id rate** — share of samples the auditor assigns to one training patient with softmax
  confidence ≥ the threshold below; compare with the auditor's false-alarm rate on holdout
  patients and with the uniform chance 1 / #identities.
- **Distance along the path** — for the same anchor pairs, the nearest-real distance of every
  step's image, linear vs PLAN (mean, 95% CI over pairs). A dip in the middle of the linear path
  means the straight line passes near a training patient.
"""
