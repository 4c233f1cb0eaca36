"""The embedded phantoms: deterministic, well-formed, identity-bearing, disease visible."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lightning_privgan.data.phantoms.cxr import make_cxr_phantoms
from lightning_privgan.data.phantoms.drawing import smooth_noise
from lightning_privgan.data.phantoms.fundus import (_patients, assign_grades, make_fundus_phantoms,
                                                    render_fundus_patients)

MAKERS = {"cxr": (make_cxr_phantoms, 1, 2), "fundus": (make_fundus_phantoms, 3, 5)}


@pytest.mark.parametrize("kind", MAKERS)
def test_shape_range_dtype_and_patient_labels(kind):
    make, channels, classes = MAKERS[kind]
    s = make(20, 3, 0.6, 32, seed=0)
    assert s.images.dtype == torch.uint8 and tuple(s.images.shape) == (60, channels, 32, 32)
    assert s.images.float().std() > 20  # not a blank image
    assert len(s.labels) == len(s.patient_ids) == 60
    assert set(s.labels) == set(range(classes))
    by_patient = {}
    for pid, label in zip(s.patient_ids, s.labels):
        assert by_patient.setdefault(pid, label) == label  # scans of a patient share its label
    assert len(by_patient) == 20


@pytest.mark.parametrize("kind", MAKERS)
def test_deterministic_from_seed(kind):
    make = MAKERS[kind][0]
    a, b, c = make(6, 2, 0.5, 16, seed=3), make(6, 2, 0.5, 16, seed=3), make(6, 2, 0.5, 16, seed=4)
    assert torch.equal(a.images, b.images) and list(a.labels) == list(b.labels)
    assert not torch.equal(a.images, c.images)


@pytest.mark.parametrize("kind", MAKERS)
def test_scans_of_a_patient_are_closer_than_other_patients(kind):
    s = MAKERS[kind][0](24, 3, 0.5, 32, seed=1)
    x = s.images.float().flatten(1)
    dist = torch.cdist(x, x)
    pid = np.array(s.patient_ids)
    same = torch.as_tensor(pid[:, None] == pid[None])
    off_diagonal = ~torch.eye(len(pid), dtype=torch.bool)
    intra, inter = dist[same & off_diagonal].mean(), dist[~same].mean()
    assert intra < 0.85 * inter, (intra, inter)


def test_cxr_disease_brightens_the_upper_lung_zones():
    s = make_cxr_phantoms(60, 1, 0.5, 32, seed=2)
    upper_lungs = s.images[:, 0, 8:16, 4:28].float().mean((1, 2))  # rows ~ apices to mid-chest
    sick = torch.as_tensor(s.labels == 1)
    assert upper_lungs[sick].mean() - upper_lungs[~sick].mean() > 8  # grey levels, across patients


def test_cxr_disease_changes_only_the_upper_lungs_of_the_same_anatomy():
    # Prevalence 0 vs 1 with one seed: the random draws are the same, so the patients
    # and poses are identical and only the lesions differ.
    healthy = make_cxr_phantoms(30, 1, 0.0, 32, seed=3).images[:, 0].float()
    sick = make_cxr_phantoms(30, 1, 1.0, 32, seed=3).images[:, 0].float()
    change = sick - healthy
    assert (change[:, 6:18, 4:28].mean((1, 2)) > 4).float().mean() > 0.9  # nearly every patient
    assert change[:, 24:, :].abs().mean() < 1.0  # diaphragm and below untouched


def test_fundus_lesion_load_grows_with_grade():
    rng = np.random.default_rng(0)
    grades = np.repeat(np.arange(5), 8)
    patients = _patients(rng, grades)
    texture = smooth_noise(torch.Generator().manual_seed(0), len(grades), 3, 32)
    with_lesions = render_fundus_patients(patients, texture, 32, lesions=True)
    without = render_fundus_patients(patients, texture, 32, lesions=False)
    load = (with_lesions - without).abs().mean((1, 2, 3)).view(5, 8).mean(1)
    assert load[0] == 0
    assert torch.all(load[1:] > load[:-1]), load


def test_prevalence_sets_the_share_of_diseased_patients():
    grades = assign_grades(np.random.default_rng(0), 100, 0.3)
    assert (grades > 0).sum() == 30
    s = make_cxr_phantoms(10, 1, 0.2, 16, seed=0)
    assert s.labels.sum() == 2
    with pytest.raises(ValueError, match="prevalence"):
        make_cxr_phantoms(10, 1, 1.5, 16, seed=0)
