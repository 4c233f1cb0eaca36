"""Membership inference: a memorising model leaks, an independent one does not."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from lightning_privgan.audit.membership import (balanced_accuracy, best_threshold, cross_fitted_threshold_accuracy,
                                                loss_threshold_attack, one_by_one, roc_auc,
                                                shadow_model_attack)


@pytest.fixture(autouse=True)
def one_thread():
    # These networks are tiny: a second thread only adds synchronisation on a busy machine.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data(n, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 6, 6, generator=g), torch.randint(0, 2, (n,), generator=g)


def _train(images, labels, seed, steps=100):
    """A wide MLP fitted to random labels: pure memorisation."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(36, 64), nn.ReLU(), nn.Linear(64, 2))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad()
        nn.functional.cross_entropy(net(images), labels).backward()
        opt.step()
    return net


class KernelMemoriser(nn.Module):
    """Votes of its training images weighted by similarity: confident exactly on what it saw."""

    def __init__(self, images, labels, bandwidth=1.0):
        super().__init__()
        self.register_buffer("x", images.flatten(1))
        self.register_buffer("onehot", nn.functional.one_hot(labels, 2).float())
        self.log_bandwidth = nn.Parameter(torch.tensor(float(bandwidth)).log())

    def forward(self, images):
        d2 = torch.cdist(images.flatten(1), self.x) ** 2
        votes = torch.softmax(-d2 / self.log_bandwidth.exp(), dim=1) @ self.onehot
        return (votes + 1e-4).log()


def _memorise(images, labels, seed):
    return KernelMemoriser(images, labels, bandwidth=20.0)


def test_auc_and_balanced_accuracy_of_known_scores():
    truth = torch.tensor([1, 1, 0, 0]).bool()
    assert roc_auc(torch.tensor([0.9, 0.8, 0.1, 0.2]), truth) == 1.0
    assert roc_auc(torch.tensor([0.1, 0.2, 0.9, 0.8]), truth) == 0.0
    assert roc_auc(torch.tensor([0.5, 0.5, 0.5, 0.5]), truth) == 0.5
    # Predicting "member" for everyone is worth 0.5, however many members there are.
    assert balanced_accuracy(torch.ones(10).bool(), torch.tensor([1] * 9 + [0]).bool()) == 0.5
    assert best_threshold(torch.tensor([3.0, 4.0, 1.0, 2.0]), truth) == 2.5


def test_cross_fitting_does_not_invent_a_leak_from_noise():
    g = torch.Generator().manual_seed(0)
    scores, truth = torch.randn(200, generator=g), torch.rand(200, generator=g) < 0.5
    in_sample = balanced_accuracy(scores >= best_threshold(scores, truth), truth)
    honest = cross_fitted_threshold_accuracy(scores, truth, seed=0)
    assert in_sample > honest
    assert abs(honest - 0.5) < 0.1


def test_memorising_model_leaks_and_independent_model_does_not():
    members, nonmembers = _data(60, 1), _data(60, 2)
    overfit = _train(*members, seed=0)
    leak = loss_threshold_attack(overfit, members, nonmembers, seed=0)
    assert leak["balanced_accuracy"] > 0.75 and leak["auc"] > 0.8
    assert leak["member_loss"] < leak["nonmember_loss"]

    # The independent model saw none of these images: evaluation only, so many can be afforded.
    independent = _train(*_data(60, 3), seed=1)
    none = loss_threshold_attack(independent, _data(300, 11), _data(300, 12), seed=0)
    assert abs(none["balanced_accuracy"] - 0.5) < 0.1 and abs(none["auc"] - 0.5) < 0.1


def test_shadow_attack_detects_memorisation_only_when_present():
    members, nonmembers, pool = _data(60, 4), _data(60, 5), _data(160, 6)
    target = _memorise(*members, seed=0)
    leak = shadow_model_attack(target, members, nonmembers, pool, one_by_one(_memorise), num_shadows=2, seed=0)
    assert leak["shadow_train_balanced_accuracy"] > 0.75
    assert leak["balanced_accuracy"] > 0.75 and leak["auc"] > 0.8

    independent = _memorise(*_data(60, 7), seed=0)
    none = shadow_model_attack(independent, _data(300, 11), _data(300, 12), pool, one_by_one(_memorise), num_shadows=2, seed=0)
    assert abs(none["balanced_accuracy"] - 0.5) < 0.1 and abs(none["auc"] - 0.5) < 0.1


def test_attack_inputs_are_checked():
    net = _train(*_data(8, 0), seed=0, steps=1)
    with pytest.raises(ValueError, match="two members"):
        loss_threshold_attack(net, _data(1, 0), _data(5, 1))
    with pytest.raises(ValueError, match="too small"):
        shadow_model_attack(net, _data(4, 0), _data(4, 1), _data(5, 2), one_by_one(lambda x, y, s: net), num_shadows=2)


def test_shadow_members_and_non_members_are_split_by_patient():
    """Split per image (the old code), a shadow member's other scans landed among its non-members."""
    import numpy as np

    from lightning_privgan.audit.membership import fit_shadow_attack, shadow_splits

    patients = np.repeat([f"p{i}" for i in range(10)], 4)  # 10 patients x 4 scans
    images, labels = _data(40, 9)
    for inside, outside in shadow_splits(patients, num_shadows=2, seed=0):
        assert not set(patients[inside.numpy()]) & set(patients[outside.numpy()])
        assert len(inside) and len(outside)

    trained_on = []

    def record(x, y, seed):
        trained_on.append(x)
        return _train(x, y, seed, steps=1)

    fit_shadow_attack((images, labels), one_by_one(record), num_shadows=2, seed=0, patient_ids=patients)
    pixel_patient = {float(img.sum()): p for img, p in zip(images, patients)}
    for members in trained_on:  # every scan of a member patient is a member: 4 per patient
        member_patients = [pixel_patient[float(img.sum())] for img in members]
        assert all(member_patients.count(p) == 4 for p in set(member_patients))
    with pytest.raises(ValueError, match="holds 3 patients; 2 shadow models need at least 4"):
        shadow_splits(np.repeat(["a", "b", "c"], 4), num_shadows=2, seed=0)


def test_every_downstream_model_gets_both_attacks_from_one_pass_with_unchanged_figures(tmp_path):
    from lightning_privgan.audit.membership import (apply_attack, attack_downstream_models, fit_shadow_attack,
                                                    loss_threshold_attack)
    from lightning_privgan.models.classifier_io import export_classifier, load_classifier
    from lightning_privgan.models.components.image_classifier import ImageClassifier

    torch.manual_seed(0)
    path = tmp_path / "model.pt"
    export_classifier(ImageClassifier("compact", 1, 6, 2, width=4), path)
    members, nonmembers, pool = _data(20, 1), _data(20, 2), _data(40, 3)
    attack, _ = fit_shadow_attack(pool, one_by_one(lambda x, y, s: _train(x, y, s, steps=5)), num_shadows=2, seed=0)
    row = attack_downstream_models([("real", 0, path)], members, nonmembers, attack, seed=4, batch_size=7).iloc[0]
    net = load_classifier(path)
    separate = {**{f"threshold_{k}": v for k, v in loss_threshold_attack(net, members, nonmembers, 4, 7).items()},
                **{f"shadow_{k}": v for k, v in apply_attack(attack, net, members, nonmembers, 7).items()}}
    assert {k: row[k] for k in separate} == separate
