"""DataLoader: iterate over a dataset in (optionally shuffled) batches."""

import numbers

import numpy

__all__ = ["DataLoader", "default_collate"]


def _tensor_class():
    from ..tensor import Tensor

    return Tensor


def default_collate(samples):
    """Stack a list of samples into a batch, field by field (PyTorch's rule).

    * Tensors are stacked along a new first dimension (on their device).
    * NumPy arrays and NumPy scalars become a stacked cpu tensor.
    * Python ``bool`` gives a bool tensor, ``int`` an int64 tensor, ``float``
      a float64 tensor (as PyTorch's ``default_collate``).
    * ``str`` and ``bytes`` stay a list.
    * Tuples and lists are collated position by position, dicts key by key.

    Example::

        >>> batch = default_collate([(1, 0.5), (2, 1.5)])
        >>> batch[0].tolist(), batch[1].dtype
        ([1, 2], dtype('float64'))
    """
    if not samples:
        raise ValueError("default_collate: got an empty list of samples")
    Tensor = _tensor_class()
    first = samples[0]
    if isinstance(first, Tensor):
        backend = first._backend
        shapes = {tuple(s.shape) for s in samples}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: cannot stack tensors of different shapes "
                               f"{sorted(shapes)}")
        devices = {s.device for s in samples}
        if len(devices) != 1:
            raise RuntimeError(f"default_collate: samples on different devices {sorted(devices)}")
        return Tensor._make(backend.xp.stack([s._data for s in samples]), backend)
    if isinstance(first, (numpy.ndarray, numpy.generic)):
        from ..backend import get_backend

        arrays = [numpy.asarray(s) for s in samples]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: cannot stack arrays of different shapes "
                               f"{sorted(shapes)}")
        return Tensor._make(numpy.stack(arrays), get_backend("cpu"))
    if isinstance(first, (bool, numpy.bool_)):
        from ..backend import get_backend

        return Tensor._make(numpy.asarray(samples, dtype=numpy.bool_), get_backend("cpu"))
    if isinstance(first, numbers.Integral):
        from ..backend import get_backend

        return Tensor._make(numpy.asarray(samples, dtype=numpy.int64), get_backend("cpu"))
    if isinstance(first, numbers.Real):
        from ..backend import get_backend

        return Tensor._make(numpy.asarray(samples, dtype=numpy.float64), get_backend("cpu"))
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, dict):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        lengths = {len(s) for s in samples}
        if len(lengths) != 1:
            raise RuntimeError(f"default_collate: samples have different numbers of fields "
                               f"{sorted(lengths)}")
        fields = [default_collate(list(group)) for group in zip(*samples)]
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    "pass collate_fn=")


class DataLoader:
    """Iterate over ``dataset`` in batches, optionally reshuffled every epoch.

    Each ``for batch in loader`` is one epoch.  With ``shuffle=True`` the
    order is a fresh permutation drawn at the start of the epoch from
    ``generator`` (a ``numpy.random.Generator``) or, by default, from the
    library's global generator, so ``ag.manual_seed(n)`` makes the whole
    sequence of epochs reproducible.

    Datasets with a ``get_batch(indices)`` method (``TensorDataset``,
    ``MNIST``, ``Subset`` of those) are batched with one gather per array --
    no per-sample Python loop.  Other datasets are read sample by sample and
    combined with ``collate_fn`` (default :func:`default_collate`); giving a
    ``collate_fn`` always uses that per-sample path.

    Args:
        dataset: a map-style dataset (``len`` and ``__getitem__``).
        batch_size: samples per batch (a positive int).  Default 1, as in PyTorch.
        shuffle: reshuffle at every epoch.  Default False.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        collate_fn: combines a list of samples into a batch.
        generator: a ``numpy.random.Generator`` used for shuffling instead of
            the global one.

    Example::

        >>> import autograd as ag
        >>> ds = ag.data.TensorDataset(ag.arange(10))
        >>> ag.manual_seed(0)
        >>> [b[0].shape for b in ag.data.DataLoader(ds, batch_size=4, shuffle=True)]
        [(4,), (4,), (2,)]
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, *, drop_last=False,
                 collate_fn=None, generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size!r}")
        if shuffle is None:
            shuffle = False
        if not isinstance(shuffle, (bool, numpy.bool_)):
            raise TypeError(f"shuffle must be a bool, got {type(shuffle).__name__}")
        if not isinstance(drop_last, (bool, numpy.bool_)):
            raise TypeError(f"drop_last must be a bool, got {type(drop_last).__name__}")
        if not hasattr(dataset, "__len__") or not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must define __len__ and __getitem__, "
                            f"got {type(dataset).__name__}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("collate_fn must be callable")
        if generator is not None and not isinstance(generator, numpy.random.Generator):
            raise TypeError(f"generator must be a numpy.random.Generator, "
                            f"got {type(generator).__name__}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator

    def __len__(self):
        """Number of batches per epoch."""
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return -(-n // self.batch_size)

    def _epoch_order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return numpy.arange(n, dtype=numpy.int64)
        generator = self.generator
        if generator is None:
            from .. import random as ag_random

            generator = ag_random.generator()
        return generator.permutation(n).astype(numpy.int64, copy=False)

    def __iter__(self):
        order = self._epoch_order()
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        fetch_batch = getattr(self.dataset, "get_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn if self.collate_fn is not None else default_collate
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if fetch_batch is not None:
                yield fetch_batch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
