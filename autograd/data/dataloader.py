"""DataLoader: iterate over a dataset in (optionally shuffled) batches."""

import numbers

import numpy

__all__ = ["DataLoader", "default_collate", "default_convert"]


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


def default_convert(sample):
    """One sample without batching (``DataLoader(batch_size=None)``): NumPy arrays become
    cpu tensors, tuples/lists/dicts are converted field by field, anything else is kept
    (PyTorch's ``default_convert``)."""
    Tensor = _tensor_class()
    if isinstance(sample, numpy.ndarray) and sample.dtype.kind in "biuf":
        from ..backend import get_backend

        return Tensor._make(numpy.array(sample), get_backend("cpu"))
    if isinstance(sample, dict):
        return {key: default_convert(value) for key, value in sample.items()}
    if isinstance(sample, tuple):
        return tuple(default_convert(value) for value in sample)
    if isinstance(sample, list):
        return [default_convert(value) for value in sample]
    return sample


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
            ``None`` turns batching off: each sample is yielded on its own (arrays
            become tensors), or passed through ``collate_fn`` when one is given.
        shuffle: reshuffle at every epoch.  Default False.
        sampler: an iterable of dataset indices giving the order of each epoch
            (instead of ``shuffle``).
        batch_sampler: an iterable of lists of indices, one list per batch
            (instead of ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``).
        collate_fn: combines a list of samples into a batch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` used for shuffling instead of
            the global one.
        num_workers, pin_memory, timeout, worker_init_fn, multiprocessing_context,
        prefetch_factor, persistent_workers, pin_memory_device, in_order: accepted
            (and checked) for PyTorch compatibility; batches are always read in the
            calling process -- a dense dataset in memory is gathered in one
            NumPy call per batch, faster than worker processes would deliver it.

    Example::

        >>> import autograd as ag
        >>> ds = ag.data.TensorDataset(ag.arange(10))
        >>> ag.manual_seed(0)
        >>> [b[0].shape for b in ag.data.DataLoader(ds, batch_size=4, shuffle=True)]
        [(4,), (4,), (2,)]
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if batch_size is not None and (isinstance(batch_size, bool)
                                       or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size!r}")
        if shuffle is None:
            shuffle = False
        if not isinstance(shuffle, (bool, numpy.bool_, numbers.Integral)):
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
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) \
                or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if not isinstance(timeout, numbers.Real) or timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError("worker_init_fn must be callable")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value is not None and not hasattr(value, "__iter__"):
                raise TypeError(f"{name} must be an iterable of indices, got "
                                f"{type(value).__name__}")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = bool(persistent_workers)

    def __len__(self):
        """Number of batches per epoch."""
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
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
        fetch_batch = getattr(self.dataset, "get_batch", None) if self.collate_fn is None else None
        collate = self.collate_fn if self.collate_fn is not None else default_collate
        if self.batch_sampler is not None:
            for indices in self.batch_sampler:
                indices = numpy.asarray([int(i) for i in indices], dtype=numpy.int64)
                if fetch_batch is not None:
                    yield fetch_batch(indices)
                else:
                    yield collate([self.dataset[int(i)] for i in indices])
            return
        if self.sampler is not None:
            # read lazily, batch by batch: a sampler may be endless
            yield from self._batches(self._sampled_batches(), fetch_batch, collate)
            return
        order = self._epoch_order()
        if self.batch_size is None:
            convert = self.collate_fn if self.collate_fn is not None else default_convert
            for i in order:
                yield convert(self.dataset[int(i)])
            return
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            indices = order[start:start + self.batch_size]
            if fetch_batch is not None:
                yield fetch_batch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def _sampled_batches(self):
        """The sampler's indices, in lists of ``batch_size`` (single indices without
        batching), read as they are needed."""
        batch = []
        for i in self.sampler:
            if self.batch_size is None:
                yield int(i)
                continue
            batch.append(int(i))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def _batches(self, index_lists, fetch_batch, collate):
        if self.batch_size is None:
            convert = self.collate_fn if self.collate_fn is not None else default_convert
            for i in index_lists:
                yield convert(self.dataset[i])
            return
        for indices in index_lists:
            if fetch_batch is not None:
                yield fetch_batch(numpy.asarray(indices, dtype=numpy.int64))
            else:
                yield collate([self.dataset[i] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
