"""last.ckpt holds every epoch (the resume point), and is a hard link to best.ckpt exactly when both
would hold the same step (a stale last.ckpt would make a resumed fit repeat epochs)."""
import os

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from lightning_privgan.core.checkpoint_files import AtomicCheckpointIO
from lightning_privgan.training import stage_checkpoint
from lightning_privgan.training.stage_checkpoint import StageCheckpoint

SCORES = [1.0, 2.0, 2.0, 3.0]  # improves, improves, ties (no new best), improves


class ScriptedScore(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(2, 1)

    def training_step(self, batch, _):
        return self.net(batch[0]).pow(2).mean()

    def validation_step(self, batch, _):
        self.log("val/score", SCORES[self.current_epoch])

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters())


class FilesAfterEachEpoch(pl.Callback):
    """(last and best are one file, last.ckpt's epoch) after each epoch's checkpoints."""

    def __init__(self, folder):
        self.folder, self.seen = folder, []

    def look(self):
        last, best = self.folder / "last.ckpt", self.folder / "best.ckpt"
        self.seen.append((os.stat(last).st_ino == os.stat(best).st_ino,
                          torch.load(last, weights_only=False)["epoch"]))

    def on_train_epoch_start(self, trainer, module):
        if trainer.current_epoch > 0:
            self.look()


def _fit(tmp_path, plugins=(AtomicCheckpointIO(),)):
    folder = tmp_path / "checkpoints"
    files = FilesAfterEachEpoch(folder)
    checkpoint = StageCheckpoint(dirpath=str(folder), filename="best", monitor="val/score", mode="max",
                                 save_top_k=1, save_last=True, enable_version_counter=False)
    data = DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4)
    trainer = pl.Trainer(max_epochs=len(SCORES), callbacks=[checkpoint, files], logger=False,
                         enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
                         default_root_dir=str(tmp_path), plugins=list(plugins))
    trainer.fit(ScriptedScore(), data, data)
    files.look()
    return folder, files.seen


def test_last_links_best_only_in_the_epochs_that_wrote_best(tmp_path):
    folder, seen = _fit(tmp_path)
    # epoch 0: the first last.ckpt records its own path, so it differs from best and is written;
    # epoch 2 ties: last.ckpt is a new file while best stays at epoch 1.
    assert seen == [(False, 0), (True, 1), (False, 2), (True, 3)]
    last, best = (torch.load(folder / n, weights_only=False) for n in ("last.ckpt", "best.ckpt"))
    assert last["global_step"] == best["global_step"] == 8
    assert last["callbacks"] == best["callbacks"]  # the same callback state, so the same file


def test_a_file_system_without_hard_links_gets_two_files(tmp_path, monkeypatch):
    def no_links(*_):
        raise OSError(95, "Operation not supported")
    monkeypatch.setattr(stage_checkpoint, "hard_link_atomic", no_links)
    folder, seen = _fit(tmp_path)
    assert seen == [(False, 0), (False, 1), (False, 2), (False, 3)]
    assert not list(folder.glob(".*.tmp"))


def test_a_checkpoint_io_that_may_write_in_place_never_gets_links(tmp_path):
    # Lightning's own IO writes into the existing file: through a link it would overwrite best.ckpt.
    folder, seen = _fit(tmp_path, plugins=())
    assert seen == [(False, 0), (False, 1), (False, 2), (False, 3)]
    assert torch.load(folder / "best.ckpt", weights_only=False)["epoch"] == 3
