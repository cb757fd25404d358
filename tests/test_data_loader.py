"""Dataset, TensorDataset, Subset and DataLoader: ordering, seeding, batching, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd as ag
from autograd.data import DataLoader, Dataset, MNIST, Subset, TensorDataset, default_collate


def make_dataset(n=10):
    features = ag.tensor(np.arange(n * 3, dtype=np.float32).reshape(n, 3))
    labels = ag.tensor(np.arange(n, dtype=np.int64))
    return TensorDataset(features, labels)


def epoch_order(loader):
    return [int(i) for _, labels in loader for i in labels.numpy()]


# ---------------------------------------------------------------------------
# ordering and batching
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("n, batch_size, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, True, [4, 4]),
    (3, 5, False, [3]),
    (3, 5, True, []),
    (10, 1, False, [1] * 10),
])
def test_sequential_batches(n, batch_size, drop_last, sizes):
    loader = DataLoader(make_dataset(n), batch_size=batch_size, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(sizes)
    assert [labels.shape[0] for _, labels in batches] == sizes
    assert epoch_order(loader) == list(range(sum(sizes)))
    for features, labels in batches:
        assert isinstance(features, ag.Tensor) and features.dtype == ag.float32
        assert labels.dtype == ag.int64 and not features.requires_grad
        np.testing.assert_array_equal(features.numpy()[:, 0], 3 * labels.numpy())


def test_batch_counts_match_pytorch(torch):
    for n in (1, 7, 32, 33):
        for batch_size in (1, 5, 32):
            for drop_last in (False, True):
                ours = DataLoader(make_dataset(n), batch_size=batch_size, drop_last=drop_last)
                theirs = torch.utils.data.DataLoader(
                    torch.utils.data.TensorDataset(torch.arange(n)), batch_size=batch_size,
                    drop_last=drop_last)
                assert len(ours) == len(theirs)
                assert [b[1].shape[0] for b in ours] == [b[0].shape[0] for b in theirs]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2 ** 32 - 1))
def test_batches_partition_the_epoch(n, batch_size, drop_last, shuffle, seed):
    loader = DataLoader(make_dataset(n), batch_size=batch_size, shuffle=shuffle,
                        drop_last=drop_last, generator=np.random.default_rng(seed))
    batches = [labels.numpy().tolist() for _, labels in loader]
    assert len(batches) == len(loader)
    assert all(len(b) == batch_size for b in batches[:-1])
    if batches:
        assert len(batches[-1]) == (batch_size if drop_last else (n - 1) % batch_size + 1)
    order = [i for b in batches for i in b]
    assert len(order) == (n // batch_size * batch_size if drop_last else n)
    assert len(set(order)) == len(order) and set(order) <= set(range(n))
    if not shuffle:
        assert order == list(range(len(order)))
    else:
        assert order == np.random.default_rng(seed).permutation(n)[:len(order)].tolist()


def test_default_batch_size_is_one():
    loader = DataLoader(make_dataset(3))
    assert loader.batch_size == 1 and len(loader) == 3
    assert [b[1].shape for b in loader] == [(1,), (1,), (1,)]


def test_shuffle_visits_every_sample_once_per_epoch():
    loader = DataLoader(make_dataset(50), batch_size=8, shuffle=True)
    first, second = epoch_order(loader), epoch_order(loader)
    assert sorted(first) == sorted(second) == list(range(50))
    assert first != second != list(range(50))


def test_shuffle_with_drop_last_drops_the_tail_of_the_permutation():
    loader = DataLoader(make_dataset(10), batch_size=4, shuffle=True, drop_last=True)
    order = epoch_order(loader)
    assert len(order) == 8 and len(set(order)) == 8


def test_shuffle_is_reproducible_under_manual_seed():
    loader = DataLoader(make_dataset(40), batch_size=8, shuffle=True)
    ag.manual_seed(123)
    run1 = [epoch_order(loader) for _ in range(3)]
    ag.manual_seed(123)
    run2 = [epoch_order(loader) for _ in range(3)]
    ag.manual_seed(124)
    run3 = [epoch_order(loader) for _ in range(3)]
    assert run1 == run2
    assert run1 != run3
    assert run1[0] != run1[1]  # a new permutation every epoch


def test_shuffle_uses_the_global_generator():
    ag.manual_seed(7)
    order = epoch_order(DataLoader(make_dataset(20), batch_size=20, shuffle=True))
    ag.manual_seed(7)
    assert order == ag.random.generator().permutation(20).tolist()


def test_explicit_generator_is_independent_of_the_global_one():
    def orders(seed, global_seed):
        ag.manual_seed(global_seed)
        loader = DataLoader(make_dataset(30), batch_size=7, shuffle=True,
                            generator=np.random.default_rng(seed))
        return [epoch_order(loader) for _ in range(2)]

    assert orders(5, global_seed=1) == orders(5, global_seed=2)
    assert orders(5, global_seed=1) != orders(6, global_seed=1)


# ---------------------------------------------------------------------------
# the vectorised path and the per-sample path
# ---------------------------------------------------------------------------
class NoSampleAccess(TensorDataset):
    def __getitem__(self, index):
        raise AssertionError("the DataLoader read a single sample")


def test_array_backed_datasets_are_batched_without_a_per_sample_loop():
    base = make_dataset(20)
    dataset = NoSampleAccess(*base.tensors)
    for loader in (DataLoader(dataset, batch_size=6, shuffle=True),
                   DataLoader(Subset(dataset, range(5, 15)), batch_size=4, shuffle=True)):
        assert sum(b[1].shape[0] for b in loader) == len(loader.dataset)


class PairDataset(Dataset):
    """A plain Python dataset: samples are (ndarray, int, float, str, dict)."""

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.full(2, i, dtype=np.float32), i, i / 2, f"s{i}", {"twice": 2 * i}


def test_per_sample_datasets_are_collated():
    features, ints, floats, names, extras = next(iter(DataLoader(PairDataset(), batch_size=3)))
    assert features.shape == (3, 2) and features.dtype == ag.float32
    assert ints.dtype == ag.int64 and ints.tolist() == [0, 1, 2]
    assert floats.dtype == ag.float64 and floats.tolist() == [0.0, 0.5, 1.0]
    assert names == ["s0", "s1", "s2"]
    assert extras["twice"].tolist() == [0, 2, 4]


def test_collate_fn_is_used_per_sample():
    loader = DataLoader(make_dataset(5), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]


def test_default_collate_rejects_ragged_samples():
    with pytest.raises(RuntimeError, match="different shapes"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot batch"):
        default_collate([object()])


# ---------------------------------------------------------------------------
# TensorDataset and Subset
# ---------------------------------------------------------------------------
def test_tensor_dataset_indexing():
    dataset = make_dataset(4)
    features, label = dataset[-1]
    assert features.tolist() == [9.0, 10.0, 11.0] and label.item() == 3
    assert len(dataset) == 4
    with pytest.raises(IndexError, match="index 4 is out of range for 4 samples"):
        dataset[4]
    with pytest.raises(IndexError, match="out of range"):
        dataset.get_batch(np.array([0, 9]))
    with pytest.raises(TypeError, match="integers"):
        dataset[1.0]


def test_tensor_dataset_validates_its_tensors():
    with pytest.raises(ValueError, match="size mismatch"):
        TensorDataset(ag.zeros(3, 2), ag.zeros(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="0-dimensional"):
        TensorDataset(ag.zeros(()))
    with pytest.raises(TypeError, match="must be a Tensor"):
        TensorDataset([1, 2, 3])


def test_tensor_dataset_samples_do_not_share_the_graph():
    weights = ag.ones(3, 2, requires_grad=True)
    features, = TensorDataset(weights).get_batch([0, 1])
    assert not features.requires_grad


def test_subset():
    subset = Subset(make_dataset(10), [7, 2, 5])
    assert len(subset) == 3 and subset[0][1].item() == 7
    assert [b[1].item() for b in DataLoader(subset)] == [7, 2, 5]
    with pytest.raises(IndexError):
        Subset(make_dataset(3), [3])


# ---------------------------------------------------------------------------
# argument checks
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(make_dataset(), batch_size=batch_size)


def test_bad_arguments():
    with pytest.raises(TypeError, match="shuffle must be a bool"):
        DataLoader(make_dataset(), shuffle="yes")
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(42)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        DataLoader(make_dataset(), shuffle=True, generator=3)


# ---------------------------------------------------------------------------
# MNIST as a dataset
# ---------------------------------------------------------------------------
def test_mnist_samples_and_batches():
    dataset = MNIST(train=False)
    image, label = dataset[0]
    assert image.shape == (28, 28) and image.dtype == ag.float32 and label.item() == 7
    expected = dataset.data[0] / np.float32(255)
    np.testing.assert_allclose(image.numpy(), expected, rtol=1e-6)
    images, labels = next(iter(DataLoader(dataset, batch_size=64)))
    assert images.shape == (64, 28, 28) and labels.dtype == ag.int64
    assert 0.0 <= images.numpy().min() and images.numpy().max() <= 1.0
    np.testing.assert_array_equal(labels.numpy(), dataset.targets[:64])


@pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CUDA")
def test_batches_stay_on_the_tensors_device():
    dataset = TensorDataset(ag.arange(10.0).to("cuda"), ag.arange(10).to("cuda"))
    features, labels = next(iter(DataLoader(dataset, batch_size=4, shuffle=True)))
    assert features.device == "cuda" and labels.device == "cuda"
    np.testing.assert_array_equal(features.cpu().numpy(), labels.cpu().numpy())
