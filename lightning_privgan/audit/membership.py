"""Membership inference on a downstream classifier: members = real `train`, non-members = `holdout`.

Loss-threshold attack (Yeom et al. 2018): a model that memorised its training images
has lower loss on them. Reported as the cross-fitted balanced accuracy of the best
threshold (audit/attack_metrics.py) and the threshold-free AUC.
The shadow-model attack (Shokri et al. 2017) is in shadow_attack.py.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attack_metrics import cross_fitted_threshold_accuracy, roc_auc


@torch.no_grad()
def per_sample_outputs(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """(cross-entropy loss [N], softmax probabilities [N, K]) of `model` on labelled images."""
    model.eval()
    device = next(model.parameters()).device
    losses, probs = [], []
    for i in range(0, len(images), batch_size):
        logits = model(images[i : i + batch_size].to(device)).float()
        y = labels[i : i + batch_size].to(device)
        losses.append(F.cross_entropy(logits, y, reduction="none").cpu())
        probs.append(logits.softmax(1).cpu())
    return torch.cat(losses), torch.cat(probs)


def loss_threshold_attack(
    model: nn.Module,
    members: tuple[torch.Tensor, torch.Tensor],
    nonmembers: tuple[torch.Tensor, torch.Tensor],
    seed: int = 0,
    batch_size: int = 256,
) -> dict:
    """{'balanced_accuracy', 'auc', 'member_loss', 'nonmember_loss'} of the loss-threshold attack."""
    loss_in, _ = per_sample_outputs(model, *members, batch_size=batch_size)
    loss_out, _ = per_sample_outputs(model, *nonmembers, batch_size=batch_size)
    if len(loss_in) < 2 or len(loss_out) < 2:
        raise ValueError("membership inference needs at least two members and two non-members")
    scores = -torch.cat([loss_in, loss_out])  # low loss -> member
    is_member = torch.cat([torch.ones(len(loss_in)), torch.zeros(len(loss_out))]).bool()
    return {
        "balanced_accuracy": cross_fitted_threshold_accuracy(scores, is_member, seed),
        "auc": roc_auc(scores, is_member),
        "member_loss": float(loss_in.mean()),
        "nonmember_loss": float(loss_out.mean()),
    }
