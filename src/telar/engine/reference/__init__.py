"""Plain, readable versions of the engine's tuned kernels: what a student reads first.

Each is a complete operation (forward and backward, through
:func:`telar.engine.tensor.make_result`) written with the array module alone, a few dozen lines
next to the maths, as DeZero keeps ``conv2d_simple`` beside its fast ``Conv2d``:

- :mod:`~telar.engine.reference.conv`: the convolution as im2col and one matrix product;
- :mod:`~telar.engine.reference.pooling`: max pooling as a loop over the window's offsets;
- :mod:`~telar.engine.reference.normalisation`: batch normalisation, step by step.

They are the oracle the tuned kernels are tested against (values and gradients), and each is
itself checked against central differences. The max-pool loop also serves the window shapes
the tuned kernel does not take.
"""
