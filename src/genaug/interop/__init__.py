"""Adapters from genaug to the pipelines readers already use (torchvision v2, diffusers,
Keras, Albumentations).

Optional dependencies are imported lazily inside each adapter, so importing
:mod:`genaug` never requires them.
"""
