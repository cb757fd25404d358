"""IDX parsing (good and bad files) and locating the MNIST / Fashion-MNIST files."""

import gzip
import hashlib
import os
import shutil

import numpy as np
import pytest

from autograd.data import FashionMNIST, MNIST, bundled_data_dir, idx_bytes, read_idx, read_idx_bytes
from autograd.data.idx import file_md5

TEST_IMAGES_MD5 = "2646ac647ad5339dbf082846283269ea"
TEST_LABELS_MD5 = "27ae3e4e09519cfbb04c329615203637"
FASHION_DIR = "/usr/share/datasets/fashion-mnist"


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    """Point the cache at an empty directory so no test sees the user's files."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUTOGRAD_DATA", str(cache))
    return cache


def write(path, content, compress):
    path.write_bytes(gzip.compress(content) if compress else content)
    return path


# ---------------------------------------------------------------------------
# read_idx on good files
# ---------------------------------------------------------------------------
def test_bundled_test_set_is_the_real_mnist_test_set():
    images = read_idx(os.path.join(bundled_data_dir(), "t10k-images-idx3-ubyte.gz"), TEST_IMAGES_MD5)
    labels = read_idx(os.path.join(bundled_data_dir(), "t10k-labels-idx1-ubyte.gz"), TEST_LABELS_MD5)
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert abs(images.mean() / 255 - 0.1325) < 1e-4
    assert abs((images / 255).std() - 0.3105) < 1e-4


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_every_idx_type(tmp_path, dtype, compress):
    array = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = write(tmp_path / "a.idx", idx_bytes(array), compress)
    loaded = read_idx(path)
    assert loaded.dtype == np.dtype(dtype) and loaded.dtype.isnative
    np.testing.assert_array_equal(loaded, array)
    loaded[0, 0, 0] = 1  # a writable copy, not a view of the file bytes


def test_multibyte_values_are_big_endian_on_disk():
    content = bytes([0, 0, 0x0C, 1, 0, 0, 0, 2]) + (1).to_bytes(4, "big") + (258).to_bytes(4, "big")
    assert read_idx_bytes(content).tolist() == [1, 258]


def test_gzip_detected_by_content_not_by_name(tmp_path):
    array = np.arange(5, dtype=np.uint8)
    raw_named_gz = write(tmp_path / "x.gz", idx_bytes(array), compress=False)
    gz_named_raw = write(tmp_path / "x-ubyte", idx_bytes(array), compress=True)
    np.testing.assert_array_equal(read_idx(raw_named_gz), array)
    np.testing.assert_array_equal(read_idx(gz_named_raw), array)


def test_md5_is_of_the_uncompressed_bytes(tmp_path):
    content = idx_bytes(np.arange(7, dtype=np.uint8))
    path = write(tmp_path / "a.gz", content, compress=True)
    expected = hashlib.md5(content).hexdigest()
    assert file_md5(path) == expected
    assert file_md5(path, uncompressed=False) == hashlib.md5(path.read_bytes()).hexdigest()
    read_idx(path, expected.upper())  # case-insensitive


# ---------------------------------------------------------------------------
# read_idx on bad files
# ---------------------------------------------------------------------------
GOOD = idx_bytes(np.arange(12, dtype=np.uint8).reshape(3, 4))


@pytest.mark.parametrize("content, message", [
    (b"", "shorter than the 4-byte header"),
    (b"\x00\x00", "shorter than the 4-byte header"),
    (b"\x01\x00\x08\x01" + GOOD[4:], "magic number"),
    (b"\x00\x00\x07\x02" + GOOD[4:], "unknown element type 0x07"),
    (b"\x00\x00\x08\x00", "0 dimensions"),
    (GOOD[:10], "truncated IDX header"),
    (GOOD[:-1], "truncated IDX data"),
    (GOOD[:12], "truncated IDX data"),
    (GOOD + b"\x00", "1 extra"),
], ids=["empty", "short", "magic", "type", "ndim0", "header", "data-1", "data-all", "extra"])
@pytest.mark.parametrize("compress", [False, True])
def test_bad_idx_content_raises_clear_error(tmp_path, content, message, compress):
    path = write(tmp_path / "bad.idx", content, compress)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_raises(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(ValueError, match="truncated gzip"):
        read_idx(path)


def test_corrupt_gzip_raises(tmp_path):
    packed = bytearray(gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32))))
    packed[-6] ^= 0xFF  # inside the CRC-32 / length trailer
    path = tmp_path / "bad.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(ValueError, match="corrupt gzip"):
        read_idx(path)


def test_checksum_mismatch_names_both_sums(tmp_path):
    path = write(tmp_path / "a.gz", GOOD, compress=True)
    with pytest.raises(ValueError, match="checksum mismatch") as info:
        read_idx(path, "0" * 32)
    assert hashlib.md5(GOOD).hexdigest() in str(info.value) and "0" * 32 in str(info.value)


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")


def test_idx_bytes_rejects_unsupported_dtype():
    with pytest.raises(TypeError, match="no IDX type code"):
        idx_bytes(np.zeros(3, dtype=np.int64))


# ---------------------------------------------------------------------------
# MNIST / FashionMNIST: locating files
# ---------------------------------------------------------------------------
def copy_test_set(directory, compressed=True):
    directory.mkdir(parents=True, exist_ok=True)
    for stem in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        source = os.path.join(bundled_data_dir(), stem + ".gz")
        if compressed:
            shutil.copy(source, directory / (stem + ".gz"))
        else:
            with gzip.open(source) as src:
                (directory / stem).write_bytes(src.read())


def test_mnist_test_split_falls_back_to_the_bundled_copy():
    ds = MNIST(train=False)
    assert len(ds) == 10000
    assert ds.images_file.startswith(bundled_data_dir())
    assert ds.data.shape == (10000, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.dtype == np.int64 and ds.targets[:3].tolist() == [7, 2, 1]


@pytest.mark.parametrize("layout", ["root", "root/mnist", "raw"])
def test_mnist_finds_files_in_root(tmp_path, layout):
    root = tmp_path / "data"
    target = root / "mnist" if layout == "root/mnist" else root
    copy_test_set(target, compressed=(layout != "raw"))
    ds = MNIST(root=root, train=False)
    assert os.path.dirname(ds.images_file) == str(target)
    assert len(ds) == 10000


def test_mnist_uses_the_cache_directory(empty_cache):
    copy_test_set(empty_cache / "mnist")
    ds = MNIST(train=False)
    assert ds.images_file == str(empty_cache / "mnist" / "t10k-images-idx3-ubyte.gz")


def test_mnist_missing_training_set_says_how_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True") as info:
        MNIST(root=tmp_path, train=True)
    assert str(tmp_path) in str(info.value) and "train-images-idx3-ubyte" in str(info.value)


def test_mnist_corrupt_file_in_root_raises(tmp_path):
    copy_test_set(tmp_path)
    labels = tmp_path / "t10k-labels-idx1-ubyte.gz"
    content = bytearray(gzip.decompress(labels.read_bytes()))
    content[100] = (content[100] + 1) % 10  # a wrong label: still a valid IDX file
    labels.write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(ValueError, match="checksum mismatch"):
        MNIST(root=tmp_path, train=False)


def test_mnist_rejects_non_bool_train():
    with pytest.raises(TypeError, match="train must be a bool"):
        MNIST(train="test")


def test_mnist_checks_image_and_label_counts(tmp_path):
    class TinyMNIST(MNIST):
        pass

    images = idx_bytes(np.zeros((3, 28, 28), dtype=np.uint8))
    labels = idx_bytes(np.zeros(2, dtype=np.uint8))
    TinyMNIST.checksums = dict(MNIST.checksums)
    TinyMNIST.checksums["train-images-idx3-ubyte"] = (hashlib.md5(images).hexdigest(), None)
    TinyMNIST.checksums["train-labels-idx1-ubyte"] = (hashlib.md5(labels).hexdigest(), None)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(images)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(labels)
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        TinyMNIST(root=tmp_path)


@pytest.mark.skipif(not os.path.isdir(FASHION_DIR),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_finds_debian_files():
    test = FashionMNIST(train=False)
    assert test.images_file.startswith(FASHION_DIR)
    assert len(test) == 10000 and np.bincount(test.targets).tolist() == [1000] * 10
    train = FashionMNIST()
    assert len(train) == 60000 and train.classes[int(train.targets[0])] == "Ankle boot"


def test_fashion_mnist_missing_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST(root=tmp_path, train=False)
