"""Run by tests/walk/test_ddp.py: fit a tiny module on the walker stream with 2 CPU ranks (gloo DDP)
and write, per rank, the pairs it walked and the batches it trained on."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

from lightning_privgan.core.process_group import leave_process_group
from tests.helpers.fake_networks import TinyDiagnosticModule
from tests.helpers.walk_datamodule import make_dm


def main(out: Path) -> None:
    torch.set_num_threads(1)
    dm = make_dm(seed=7, samples_per_epoch=40, batch_size=4, pairs_per_batch=2)
    module = TinyDiagnosticModule()
    trainer = pl.Trainer(accelerator="cpu", devices=2, strategy="ddp", max_epochs=1, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         default_root_dir=str(out))
    trainer.fit(module, datamodule=dm)
    record = {"rank": trainer.global_rank, "pairs": sorted(dm.served_pairs), "batches": len(module.seen_batches),
              "first_batch": module.seen_batches[0][0].flatten()[:16].tolist()}
    (out / f"rank{trainer.global_rank}.json").write_text(json.dumps(record))
    leave_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
