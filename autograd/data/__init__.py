"""Data loading: datasets, the DataLoader, IDX files, MNIST and Fashion-MNIST.

``ag.data.DataLoader(ag.data.TensorDataset(x, y), batch_size=32, shuffle=True)``
iterates over ``(x_batch, y_batch)`` tensors; ``ag.data.MNIST()`` and
``ag.data.FashionMNIST()`` read the standard IDX files (checked against their
published MD5s), downloading them with ``download=True``.
"""

from .dataloader import DataLoader, default_collate
from .dataset import Dataset, Subset, TensorDataset
from .download import DownloadError, cache_dir, download_file
from .idx import idx_bytes, read_idx, read_idx_bytes
from .mnist import MNIST, FashionMNIST, bundled_data_dir

__all__ = [
    "Dataset", "TensorDataset", "Subset", "DataLoader", "default_collate",
    "MNIST", "FashionMNIST", "bundled_data_dir",
    "read_idx", "read_idx_bytes", "idx_bytes",
    "download_file", "DownloadError", "cache_dir",
]
