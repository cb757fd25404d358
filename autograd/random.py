"""The library's single source of randomness.

Every random draw (``rand``/``randn``/``randint`` factories, ``nn.init``,
dropout masks, DataLoader shuffling) comes from ONE NumPy ``Generator`` on the
host; results are then moved to the tensor's device, so a seed gives the same
numbers on every device.  ``ag.manual_seed(n)`` reseeds it.  Like PyTorch, the
initial seed is fixed, so an unseeded program is still reproducible.

Example::

    >>> ag.manual_seed(0); a = ag.rand(3)
    >>> ag.manual_seed(0); b = ag.rand(3)
    >>> bool((a == b).all())
    True
"""

import numpy

_DEFAULT_SEED = 67280421310721  # PyTorch's default CPU seed, for familiarity
_generator = [numpy.random.default_rng(_DEFAULT_SEED)]
_seed = [_DEFAULT_SEED]


def manual_seed(seed):
    """Reseed the global generator with the integer ``seed``; returns the seed.

    It also restarts the timings of the matrix products' thread choice
    (:func:`autograd._C.set_gemm_autotune`), so two seeded runs in one process
    take the same path through their first products (the results would be
    the same bits either way).
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
        raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"manual_seed expects a non-negative int, got {seed}")
    _generator[0] = numpy.random.default_rng(seed)
    _seed[0] = seed
    from ._C import gemm   # here: autograd._C is imported after this module
    gemm._reset_gemm_tuning()
    return seed


def seed():
    """Reseed from OS entropy and return the new seed."""
    new_seed = int(numpy.random.SeedSequence().entropy % (2 ** 63))
    return manual_seed(new_seed)


def initial_seed():
    """The seed last given to :func:`manual_seed` (or the default)."""
    return _seed[0]


def generator():
    """The global ``numpy.random.Generator`` every random draw must use."""
    return _generator[0]


def get_rng_state():
    """A copy of the generator's state (a dict), for :func:`set_rng_state`."""
    return _generator[0].bit_generator.state


def set_rng_state(state):
    """Restore a state returned by :func:`get_rng_state`."""
    _generator[0].bit_generator.state = state


__all__ = ["manual_seed", "seed", "initial_seed", "generator", "get_rng_state", "set_rng_state"]
