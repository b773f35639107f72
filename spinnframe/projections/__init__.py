"""Projections and connection generation."""
from .projection import Projection, StaticSynapse

__all__ = ["Projection", "StaticSynapse"]
