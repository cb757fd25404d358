"""Datasets: the indexable collections a :class:`~autograd.data.DataLoader` batches.

A dataset is anything with ``__len__`` and ``__getitem__(i)`` returning one
sample (as in PyTorch's map-style datasets).  Array-backed datasets also
implement ``get_batch(indices)``, which returns a whole batch with one
fancy-indexing operation per array; the DataLoader uses it when present, so
batching such a dataset does no per-sample Python work.
"""

import numbers

import numpy

__all__ = ["Dataset", "TensorDataset", "Subset", "as_index_array"]


def _tensor_class():
    from ..tensor import Tensor

    return Tensor


def _cpu_backend():
    from ..backend import get_backend

    return get_backend("cpu")


def as_index_array(indices, length, name="dataset"):
    """``indices`` as a 1-D int64 NumPy array, each in ``[-length, length)``.

    Negative indices count from the end, as in Python.  Raises ``IndexError``
    naming ``name`` for an index out of range and ``TypeError`` for
    non-integer indices.
    """
    index_array = numpy.asarray(indices)
    if index_array.ndim != 1:
        raise TypeError(f"{name}: batch indices must be 1-D, got shape {index_array.shape}")
    if index_array.size == 0:
        return index_array.astype(numpy.int64)
    if index_array.dtype.kind not in "iu":
        raise TypeError(f"{name}: batch indices must be integers, got dtype {index_array.dtype}")
    index_array = index_array.astype(numpy.int64, copy=False)
    low, high = int(index_array.min()), int(index_array.max())
    if low < -length or high >= length:
        bad = low if low < -length else high
        raise IndexError(f"{name}: index {bad} is out of range for {length} samples")
    return index_array


class _SizeMismatch(ValueError, AssertionError):
    """Tensors of different lengths given to TensorDataset (PyTorch asserts)."""


def _check_sample_index(index, length, name):
    if isinstance(index, (bool, numpy.bool_)) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{name} indices must be integers, got {type(index).__name__}")
    index = int(index)
    if not -length <= index < length:
        raise IndexError(f"{name}: index {index} is out of range for {length} samples")
    return index


class Dataset:
    """Base class of map-style datasets: ``len(ds)`` samples, ``ds[i]`` the i-th.

    Subclasses implement ``__len__`` and ``__getitem__``.  Those that hold
    their samples in arrays should also override :meth:`get_batch` so the
    DataLoader can fetch a batch in one vectorised step.

    Example::

        >>> class Squares(Dataset):
        ...     def __len__(self):
        ...         return 4
        ...     def __getitem__(self, i):
        ...         return i, i * i
        >>> Squares()[3]
        (3, 9)
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def get_batch(self, indices):
        """The samples at ``indices`` collated into one batch.

        The default calls ``self[i]`` for each index and collates the
        results with :func:`autograd.data.default_collate`; array-backed
        datasets override it with one indexing operation per array.
        """
        from .dataloader import default_collate

        return default_collate([self[int(i)] for i in indices])


class TensorDataset(Dataset):
    """A dataset of tensors that share their first dimension.

    Sample ``i`` is the tuple ``(t[i] for t in tensors)``; batches are
    fetched with one fancy-indexing operation per tensor, on the tensors'
    own device.  Samples and batches are new tensors that do not require grad.

    Args:
        *tensors: :class:`~autograd.Tensor` objects (or NumPy arrays, used
            without a copy) with the same size along dimension 0.

    Example::

        >>> import autograd as ag
        >>> ds = TensorDataset(ag.arange(6.0).reshape(3, 2), ag.tensor([0, 1, 0]))
        >>> len(ds), ds[1][0].tolist(), ds[1][1].item()
        (3, [2.0, 3.0], 1)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        Tensor = _tensor_class()
        wrapped = []
        for position, tensor in enumerate(tensors):
            if isinstance(tensor, numpy.ndarray):
                tensor = Tensor._make(tensor, _cpu_backend())
            elif not isinstance(tensor, Tensor):
                raise TypeError(f"TensorDataset: argument {position} must be a Tensor or an "
                                f"ndarray, got {type(tensor).__name__}")
            if tensor.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {position} is 0-dimensional; "
                                 "every tensor needs a first dimension to index samples by")
            wrapped.append(tensor)
        sizes = [t.shape[0] for t in wrapped]
        if any(size != sizes[0] for size in sizes):
            described = ", ".join(f"tensor {i}: {tuple(t.shape)}" for i, t in enumerate(wrapped))
            raise _SizeMismatch(f"Size mismatch between tensors: TensorDataset: size mismatch "
                                f"along dimension 0 ({described})")
        self.tensors = tuple(wrapped)

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        """Sample ``index`` (an int), or, as in PyTorch, a batch of samples for a slice or a
        list / array / tensor of indices."""
        Tensor = _tensor_class()
        if isinstance(index, slice):
            return tuple(Tensor._make(t._data[index], t._backend) for t in self.tensors)
        if isinstance(index, Tensor):
            index = index._backend.to_numpy(index._data)
        if isinstance(index, numpy.ndarray) and index.ndim == 0:
            index = index.item()
        if isinstance(index, (list, tuple, numpy.ndarray)):
            return self.get_batch(index)
        index = _check_sample_index(index, len(self), "TensorDataset")
        return tuple(Tensor._make(t._data[index], t._backend) for t in self.tensors)

    def get_batch(self, indices):
        """``tuple(t[indices] for t in tensors)`` with one gather per tensor."""
        indices = as_index_array(indices, len(self), "TensorDataset")
        Tensor = _tensor_class()
        batch = []
        for tensor in self.tensors:
            # asarray moves the (host) index array to the tensor's device.
            device_indices = tensor._backend.asarray(indices)
            batch.append(Tensor._make(tensor._data[device_indices], tensor._backend))
        return tuple(batch)

    def __repr__(self):
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (PyTorch's ``Subset``).

    Batches go through ``dataset.get_batch`` when it exists, so a subset of
    an array-backed dataset stays vectorised.

    Example::

        >>> import autograd as ag
        >>> ds = TensorDataset(ag.arange(5))
        >>> [s[0].item() for s in Subset(ds, [4, 0])]
        [4, 0]
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = as_index_array(list(indices) if not isinstance(indices, numpy.ndarray)
                                      else indices, len(dataset), "Subset")

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        index = _check_sample_index(index, len(self), "Subset")
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        indices = as_index_array(indices, len(self), "Subset")
        inner = self.indices[indices]
        getter = getattr(self.dataset, "get_batch", None)
        if getter is not None:
            return getter(inner)
        from .dataloader import default_collate

        return default_collate([self.dataset[int(i)] for i in inner])
