"""Adapters from genaug to the pipelines readers already use.

* :mod:`~genaug.interop.torchvision`: a genaug Transform as a ``torchvision.transforms.v2``
  transform (per-sample parameters kept), and a v2 transform as a genaug Transform;
* :mod:`~genaug.interop.dataset`: a Dataset mixing real and generated samples at a ratio,
  reproducible per index and per DataLoader worker;
* :mod:`~genaug.interop.diffusers`: noise schedules to and from diffusers' schedulers;
* :mod:`~genaug.interop.keras`: a genaug Transform as a Keras 3 layer on the PyTorch backend.
  It is not imported here (keras reads ``KERAS_BACKEND`` at its first import, which must not
  happen as a side effect of importing genaug); use
  ``from genaug.interop.keras import as_keras_layer`` after setting ``KERAS_BACKEND=torch``.

Optional dependencies are imported lazily inside each adapter, so importing
``genaug`` never requires them.
"""

from genaug.interop.dataset import AugmentedDataset
from genaug.interop.diffusers import from_diffusers, scheduler_config, to_diffusers
from genaug.interop.torchvision import FromTorchvision, TorchvisionAdapter

__all__ = [
    "AugmentedDataset",
    "FromTorchvision",
    "TorchvisionAdapter",
    "from_diffusers",
    "scheduler_config",
    "to_diffusers",
]
