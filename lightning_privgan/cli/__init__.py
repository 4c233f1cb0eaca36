"""`privgan`: run an experiment's stages, sweep a finished run, replicate it, rebuild a report,
export and verify a release, list the stages.

The parser (parser.py) imports nothing of the library, and main.py loads only the module of the
command asked for, so that `privgan --help` and a mistyped option answer at once instead of after
torch and Lightning have loaded.
"""
import os

# These must be set before albumentations / wandb are imported anywhere: otherwise
# each import waits on the network (update check) and W&B tries to log in.
os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from .main import main  # noqa: E402  (after the environment above)

__all__ = ["main"]
