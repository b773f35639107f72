"""Population, PopulationView, Assembly and cell IDs (see population.py)."""
from .indexing import Segments, base_indices, resolve
from .population import Assembly, Population, PopulationView

__all__ = ["Population", "PopulationView", "Assembly", "resolve", "base_indices", "Segments"]
