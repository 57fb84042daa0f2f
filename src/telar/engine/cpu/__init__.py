"""The engine's CPU speed machinery, in one place (and the only engine code that uses NumPy
directly rather than through :mod:`telar.engine.array`):

- :mod:`~telar.engine.cpu.threads`: how many BLAS threads a step gets;
- :mod:`~telar.engine.cpu.workers`: numbered chunks of work on a few threads, the same
  result for any number of them (the one block-on-threads runner);
- :mod:`~telar.engine.cpu.scratch`: cache-sized chunks and per-thread scratch buffers;
- :mod:`~telar.engine.cpu.memory`: keep freed memory, so per-step arrays cost no page faults;
- :mod:`~telar.engine.cpu.conv` and :mod:`~telar.engine.cpu.pooling`: the tuned convolution
  and max-pool kernels built on them.
"""
