"""Synthetic data generator for ILOS: feeds with identity noise and defects, plus ground truth.

Imports nothing from the rest of ILOS.
"""

from .api import GenerationSummary, generate

__all__ = ["GenerationSummary", "generate"]
