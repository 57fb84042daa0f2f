"""Optimisers. ``telar.optim.kernels`` holds the in-place ndarray update kernels they share."""
