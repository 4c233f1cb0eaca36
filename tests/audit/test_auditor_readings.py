"""One trunk pass gives the very floats of the separate embedding and probability passes."""
import pytest
import torch

from lightning_privgan.audit.auditor_readings import AuditorReadings
from lightning_privgan.audit.reid import auditor_probabilities
from lightning_privgan.metrics.distances import embed_images
from lightning_privgan.models.components.image_classifier import ImageClassifier


@pytest.mark.parametrize("backbone", ["compact", "resnet18"])  # the demo's auditor is a ResNet-18
def test_embeddings_and_probabilities_equal_the_separate_passes(backbone):
    torch.manual_seed(0)
    auditor = ImageClassifier(backbone, in_channels=1, resolution=32, num_classes=7, width=8).eval()
    images = torch.rand(11, 1, 32, 32) * 2 - 1
    readings = AuditorReadings(auditor, batch_size=4)  # three batches, the last one short
    assert torch.equal(readings.embeddings(images), embed_images(auditor, images, batch_size=4))
    assert torch.equal(readings.probabilities(images), auditor_probabilities(auditor, images, batch_size=4))


def test_the_trunk_runs_once_per_image_set(monkeypatch):
    auditor = ImageClassifier("compact", in_channels=1, resolution=16, num_classes=3, width=8)
    calls = []
    trunk = auditor.features
    monkeypatch.setattr(auditor, "features", lambda x: calls.append(len(x)) or trunk(x))
    readings, images = AuditorReadings(auditor, batch_size=8), torch.rand(10, 1, 16, 16)
    readings.embeddings(images), readings.probabilities(images), readings.embeddings(images)
    assert calls == [8, 2]
    readings.probabilities(images.clone())  # another tensor: measured again
    assert calls == [8, 2, 8, 2]


def test_an_auditor_without_trunk_and_head_is_refused():
    with pytest.raises(TypeError, match="must be an ImageClassifier"):
        AuditorReadings(torch.nn.Linear(2, 2), batch_size=4)
