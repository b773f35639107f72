"""Projections and connection generation."""
from .projection import Projection
from .synapses import StaticSynapse

__all__ = ["Projection", "StaticSynapse"]
