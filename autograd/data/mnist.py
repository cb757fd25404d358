"""MNIST and Fashion-MNIST: the standard IDX files, checked against their checksums.

Where the files are looked for, in order (``name`` is ``mnist`` or
``fashion-mnist``; each file as ``<file>.gz`` or raw ``<file>``):

1. ``root/<name>/`` and ``root/`` itself, when ``root`` is given;
   otherwise the cache directory ``$AUTOGRAD_DATA/<name>/`` (default
   ``~/.cache/autograd/<name>/``);
2. Fashion-MNIST only: Debian's ``dataset-fashion-mnist`` package,
   ``/usr/share/datasets/fashion-mnist/``;
3. MNIST's test split only: the copy bundled with this package
   (``autograd/datasets/``), so the 10,000 test digits work offline.

With ``download=True``, files that are missing (or fail their checksum) are
fetched into ``root/<name>/`` (or the cache directory) from the mirrors,
which can be replaced with the ``mirrors=`` argument or the environment
variables ``AUTOGRAD_MNIST_MIRRORS`` / ``AUTOGRAD_FASHION_MNIST_MIRRORS``
(base URLs separated by spaces or commas).
"""

import os

import numpy

from .dataset import Dataset, _check_sample_index, as_index_array
from .download import DEFAULT_TIMEOUT, cache_dir, download_file
from .idx import read_idx

__all__ = ["MNIST", "FashionMNIST", "bundled_data_dir"]

#: MNIST pixel statistics over its 60,000 training images, scaled to [0, 1]
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def bundled_data_dir():
    """The directory of the data files shipped inside the package (MNIST's test set).

    Example::

        >>> MNIST(root=bundled_data_dir(), train=False).images_file   # doctest: +SKIP
        '.../autograd/datasets/t10k-images-idx3-ubyte.gz'
    """
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "datasets")


def _split_mirrors(text):
    return [part for part in text.replace(",", " ").split() if part]


class _IDXClassification(Dataset):
    """Common code of MNIST-style data sets: four IDX files, images and labels."""

    #: directory name under the root / cache directory
    folder = None
    #: environment variable that overrides the mirrors
    mirrors_env = None
    #: base URLs, tried in order
    mirrors = ()
    #: file stem -> (MD5 of the uncompressed bytes, MD5 of the published .gz)
    checksums = {}
    #: extra read-only directories searched after root/cache (per split)
    system_dirs = ()
    classes = ()
    #: shown in the "not found" message
    how_to_get = ""

    _splits = {
        True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
        False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
    }

    def __init__(self, root=None, train=True, download=False, *, mirrors=None,
                 timeout=DEFAULT_TIMEOUT, progress=True):
        if not isinstance(train, (bool, numpy.bool_)):
            raise TypeError(f"{type(self).__name__}: train must be a bool, got {type(train).__name__}")
        if root is not None:
            root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.root = root
        self.train = bool(train)
        if mirrors is None:
            override = os.environ.get(self.mirrors_env, "") if self.mirrors_env else ""
            mirrors = _split_mirrors(override) or list(self.mirrors)
        elif isinstance(mirrors, str):
            mirrors = _split_mirrors(mirrors)
        self._mirror_list = [m if m.endswith("/") else m + "/" for m in mirrors]
        self._timeout = timeout
        self._progress = progress

        images_stem, labels_stem = self._splits[self.train]
        self.images_file, images = self._load(images_stem, download)
        self.labels_file, labels = self._load(labels_stem, download)
        self._check_arrays(images, labels)
        #: the images, ``uint8`` NumPy array of shape ``(N, 28, 28)``
        self.data = images
        #: the labels, ``int64`` NumPy array of shape ``(N,)``
        self.targets = labels.astype(numpy.int64)

    # -- locating and fetching the files --------------------------------
    @property
    def download_dir(self):
        """Where downloads go: ``root/<folder>`` or ``<cache dir>/<folder>``."""
        return os.path.join(self.root if self.root is not None else cache_dir(), self.folder)

    def _search_dirs(self):
        dirs = [self.download_dir]
        if self.root is not None:
            dirs.append(self.root)
        dirs.extend(self.system_dirs)
        if not self.train:
            dirs.extend(self._test_split_dirs())
        return dirs

    def _test_split_dirs(self):
        return []

    def _find(self, stem):
        for directory in self._search_dirs():
            for name in (stem + ".gz", stem):
                path = os.path.join(directory, name)
                if os.path.isfile(path):
                    return path
        return None

    def _load(self, stem, download):
        """``(path, array)`` of file ``stem``, fetching it first when allowed and needed."""
        expected_md5 = self.checksums[stem][0]
        path = self._find(stem)
        if path is not None:
            if not download:
                return path, read_idx(path, expected_md5)
            try:
                return path, read_idx(path, expected_md5)
            except ValueError:
                pass  # corrupt or a different file: fetch a good copy below
        if not download:
            searched = "\n  ".join(self._search_dirs())
            raise FileNotFoundError(
                f"{type(self).__name__}: {stem}(.gz) not found; looked in:\n  {searched}\n"
                f"{self.how_to_get}")
        if not self._mirror_list:
            raise ValueError(f"{type(self).__name__}: download=True but no mirror is configured")
        target = os.path.join(self.download_dir, stem + ".gz")
        md5_gz = self.checksums[stem][1]
        download_file([mirror + stem + ".gz" for mirror in self._mirror_list], target,
                      md5=md5_gz, md5_uncompressed=expected_md5, timeout=self._timeout,
                      progress=self._progress)
        return target, read_idx(target, expected_md5)

    def _check_arrays(self, images, labels):
        name = type(self).__name__
        if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != numpy.uint8:
            raise ValueError(f"{name}: {self.images_file} holds {images.dtype} of shape "
                             f"{images.shape}, expected uint8 of shape (N, 28, 28)")
        if labels.ndim != 1 or labels.dtype != numpy.uint8:
            raise ValueError(f"{name}: {self.labels_file} holds {labels.dtype} of shape "
                             f"{labels.shape}, expected uint8 of shape (N,)")
        if len(images) != len(labels):
            raise ValueError(f"{name}: {len(images)} images but {len(labels)} labels")
        if labels.size and labels.max() >= len(self.classes):
            raise ValueError(f"{name}: label {labels.max()} out of range for "
                             f"{len(self.classes)} classes")

    # -- the Dataset interface ---------------------------------------------
    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        """``(image, label)``: a float32 ``(28, 28)`` tensor in [0, 1] and an int64 0-d tensor."""
        from ..backend import get_backend
        from ..tensor import Tensor

        index = _check_sample_index(index, len(self), type(self).__name__)
        cpu = get_backend("cpu")
        image = self.data[index].astype(numpy.float32) / numpy.float32(255.0)
        return Tensor._make(image, cpu), Tensor._make(numpy.asarray(self.targets[index]), cpu)

    def get_batch(self, indices):
        """``(images, labels)`` for ``indices``: float32 ``(B, 28, 28)`` in [0, 1], int64 ``(B,)``."""
        from ..backend import get_backend
        from ..tensor import Tensor

        indices = as_index_array(indices, len(self), type(self).__name__)
        cpu = get_backend("cpu")
        images = self.data[indices].astype(numpy.float32)
        images *= numpy.float32(1.0 / 255.0)
        return Tensor._make(images, cpu), Tensor._make(self.targets[indices], cpu)

    def __repr__(self):
        split = "train" if self.train else "test"
        return (f"{type(self).__name__}(split={split}, samples={len(self)}, "
                f"images={self.images_file!r})")


class MNIST(_IDXClassification):
    """The MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28.

    Args:
        root: directory holding the IDX files (directly or in ``root/mnist/``);
            ``None`` uses the cache directory ``$AUTOGRAD_DATA/mnist``
            (default ``~/.cache/autograd/mnist``).
        train: the training split (True) or the test split (False).  The test
            split is also found in the copy bundled with the package.
        download: fetch missing files from the mirrors (checked against the
            published MD5s, written atomically).
        mirrors: base URLs to download from instead of the defaults
            (``$AUTOGRAD_MNIST_MIRRORS`` when set).
        timeout: seconds for each network operation.
        progress: show a progress bar while downloading.

    ``ds[i]`` is ``(image, label)`` with a float32 ``(28, 28)`` image scaled to
    [0, 1]; ``ds.data`` (uint8, ``(N, 28, 28)``) and ``ds.targets`` (int64)
    are the raw NumPy arrays.  Every file is checked against the MD5 of its
    uncompressed content, so a corrupt file raises a ``ValueError``.

    Example::

        >>> test = MNIST(train=False)           # the bundled copy, offline
        >>> len(test), test.targets[:3].tolist()
        (10000, [7, 2, 1])
    """

    folder = "mnist"
    mirrors_env = "AUTOGRAD_MNIST_MIRRORS"
    mirrors = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
               "http://yann.lecun.com/exdb/mnist/")
    checksums = {
        "train-images-idx3-ubyte": ("6bbc9ace898e44ae57da46a324031adb", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        "train-labels-idx1-ubyte": ("a25bea736e30d166cdddb491f175f624", "d53e105ee54ea40749a09fcbcd1e9432"),
        "t10k-images-idx3-ubyte": ("2646ac647ad5339dbf082846283269ea", "9fb629c4189551a2d022fa330f9573f3"),
        "t10k-labels-idx1-ubyte": ("27ae3e4e09519cfbb04c329615203637", "ec29112dd5afa0611ce80d1b7f02629c"),
    }
    classes = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine")
    how_to_get = ("Pass download=True to fetch it (about 11 MiB), or put the four MNIST IDX "
                  "files there (from https://ossci-datasets.s3.amazonaws.com/mnist/).")

    def _test_split_dirs(self):
        return [bundled_data_dir()]


class FashionMNIST(_IDXClassification):
    """Fashion-MNIST: 60,000 + 10,000 28x28 images of clothing in 10 classes.

    Same arguments and behaviour as :class:`MNIST` (the cache folder is
    ``fashion-mnist``, the mirror variable ``AUTOGRAD_FASHION_MNIST_MIRRORS``).
    Debian's ``dataset-fashion-mnist`` package is found too:
    ``apt-get install dataset-fashion-mnist`` puts the files in
    ``/usr/share/datasets/fashion-mnist/``.

    Example::

        >>> train = FashionMNIST()               # doctest: +SKIP
        >>> train.classes[train.targets[0]]
        'Ankle boot'
    """

    folder = "fashion-mnist"
    mirrors_env = "AUTOGRAD_FASHION_MNIST_MIRRORS"
    mirrors = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
    checksums = {
        "train-images-idx3-ubyte": ("f4a8712d7a061bf5bd6d2ca38dc4d50a", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        "train-labels-idx1-ubyte": ("9018921c3c673c538a1fc5bad174d6f9", "25c81989df183df01b3e8a0aad5dffbe"),
        "t10k-images-idx3-ubyte": ("8181f5470baa50b63fa0f6fddb340f0a", "bef4ecab320f06d8554ea6380940ec79"),
        "t10k-labels-idx1-ubyte": ("15d484375f8d13e6eb1aabb0c3f46965", "bb300cfdad3c16e7a12a480ee83cd310"),
    }
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
    how_to_get = ("Install Debian's package (apt-get install dataset-fashion-mnist), pass "
                  "download=True to fetch it (about 30 MiB), or put the four Fashion-MNIST IDX "
                  "files there.")
