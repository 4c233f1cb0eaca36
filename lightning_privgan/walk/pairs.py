"""Which anchors are walked between: same-class pairs, each anchor used at most `max_uses` times."""
from __future__ import annotations

import torch


def _class_candidates(members: torch.Tensor, w: torch.Tensor | None, pairing: str, g: torch.Generator) -> torch.Tensor:
    cand = torch.combinations(members, r=2)
    if len(cand) == 0:
        return cand.view(0, 2)
    cand = cand[torch.randperm(len(cand), generator=g)]
    if pairing == "nearest":
        dist = torch.linalg.vector_norm((w[cand[:, 0]] - w[cand[:, 1]]).flatten(1), dim=1)
        cand = cand[dist.argsort(stable=True)]  # random order breaks ties
    return cand


def select_pairs(labels: torch.Tensor, num_pairs: int, pairing: str, max_uses: int,
                 seed: int = 0, w: torch.Tensor | None = None) -> torch.Tensor:
    """Pairs [M <= num_pairs, 2] of anchor indices with equal labels.

    Classes take turns, so pairs are spread over classes rather than following class size².
    'random' takes candidates in random order; 'nearest' greedily takes the closest
    remaining pair (shortest paths, smallest visual change). Returns fewer than
    `num_pairs` when the use limit runs out; raises when no pair is possible at all.
    """
    if pairing not in ("random", "nearest"):
        raise ValueError(f"pairing must be 'random' or 'nearest', got {pairing!r}")
    if pairing == "nearest" and w is None:
        raise ValueError("pairing='nearest' needs the anchor latents w")
    if max_uses < 1:
        raise ValueError(f"max_uses must be >= 1, got {max_uses}")
    labels = labels.cpu().long()
    w = None if w is None else w.detach().cpu().double()
    g = torch.Generator().manual_seed(seed)
    queues = [_class_candidates((labels == c).nonzero().squeeze(1), w, pairing, g).tolist()
              for c in labels.unique().tolist()]
    uses = torch.zeros(len(labels), dtype=torch.long)
    cursor = [0] * len(queues)
    chosen: list[list[int]] = []
    while len(chosen) < num_pairs and any(cursor[q] < len(queues[q]) for q in range(len(queues))):
        for q, queue in enumerate(queues):
            while cursor[q] < len(queue):
                a, b = queue[cursor[q]]
                cursor[q] += 1
                if uses[a] < max_uses and uses[b] < max_uses:
                    uses[a] += 1
                    uses[b] += 1
                    chosen.append([a, b])
                    break
            if len(chosen) == num_pairs:
                break
    if not chosen:
        raise ValueError("no same-class pair of anchors exists: every class needs at least two anchors")
    return torch.tensor(chosen, dtype=torch.long)
