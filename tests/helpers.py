"""Test helpers shared by several test files (imported as ``from helpers import ...``)."""

import torch

# our schedule names -> diffusers' beta_schedule names
DIFFUSERS_NAME = {"linear": "linear", "cosine": "squaredcos_cap_v2"}


def gaussian_oracle(schedule, mean, std):
    """The exact eps-prediction E[eps | x_t] when the data are N(mean, std^2) per pixel."""

    def model_fn(sample, timesteps):
        alpha_bar = schedule.alpha_bar(timesteps, sample)  # (B, 1, 1, 1)
        variance = alpha_bar * std**2 + 1 - alpha_bar  # Var[x_t]
        return (1 - alpha_bar).sqrt() * (sample - alpha_bar.sqrt() * mean) / variance

    return model_fn


def bands(labels):
    """Class k is a bright horizontal band on rows 2k, 2k+1 of an 8x8 image."""
    images = torch.zeros(len(labels), 1, 8, 8)
    for offset in (0, 1):
        images[torch.arange(len(labels)), 0, 2 * labels + offset] = 1.0
    return images


class BandClassifier:
    """A perfect classifier for :func:`bands` images: the brightest band is the class."""

    def probabilities(self, images):
        rows = images.mean(dim=(1, 3)).view(len(images), 4, 2).mean(2)  # (N, 4) band brightness
        return (rows * 20).softmax(1)


def digits_subsets(size=40):
    """Two digits training subsets with equal labels (equal count and label sum); image 0 differs.

    Returns:
        ``((images_a, images_b), (labels_a, labels_b))``.
    """
    from genaug.data import digits

    train = digits("train")
    images, labels = train.images[:size], train.labels[:size]
    spare = size + int((train.labels[size:] == labels[0]).nonzero()[0])  # same class as image 0
    other = torch.cat([train.images[spare : spare + 1], images[1:]])
    assert train.labels[spare] == labels[0] and not torch.equal(other, images)
    return (images, other), (labels, labels.clone())
