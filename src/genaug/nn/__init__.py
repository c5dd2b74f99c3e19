"""Networks shared by the families and the tasks: plain ``nn.Module`` objects, no training logic.

* :mod:`~genaug.nn.blocks`: a conv stage, the sinusoidal timestep embedding, a residual block;
* :mod:`~genaug.nn.classifier`: the course's small digits classifier and its noise-aware variant;
* :mod:`~genaug.nn.unet`: the diffusion lessons' UNet.
"""

from genaug.nn.blocks import ResBlock, conv_block, timestep_embedding
from genaug.nn.classifier import ClassifierConfig, ConvClassifier, NoiseAwareClassifier
from genaug.nn.mode import eval_mode
from genaug.nn.unet import UNet, UNetConfig

__all__ = [
    "ClassifierConfig",
    "ConvClassifier",
    "NoiseAwareClassifier",
    "ResBlock",
    "UNet",
    "UNetConfig",
    "conv_block",
    "eval_mode",
    "timestep_embedding",
]
