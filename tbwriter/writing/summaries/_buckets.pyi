"""Type stub of the optional C loop built from _buckets.c (mypy cannot read a compiled module)."""
import numpy as np

def count(values: np.ndarray, table: np.ndarray, edges: np.ndarray, counts: np.ndarray, /) -> int:
    """Adds each finite value to ``counts`` at its TensorFlow bucket; returns the number of NaN/inf values."""
