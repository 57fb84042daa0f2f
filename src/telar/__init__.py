"""telar: neural networks written from scratch on NumPy, for Fashion-MNIST and its kin."""

__version__ = "0.1.0"
