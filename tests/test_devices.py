"""Device names, the backend registry and ``ag.cuda``: what holds on every machine."""

import numpy as np
import pytest

import autograd as ag
import autograd.cuda
from autograd.backend import Backend, get_backend, normalize_device, register_backend

from device_util import assert_on_device, host, register_strict

STRICT = register_strict()


class TorchLikeDevice:
    """An object with a ``.type``, like ``torch.device``."""

    def __init__(self, kind):
        self.type = kind


@pytest.mark.parametrize("name,expected", [
    (None, "cpu"), ("cpu", "cpu"), ("cuda", "cuda"), ("cuda:0", "cuda"), (STRICT, STRICT),
    (TorchLikeDevice("cpu"), "cpu"),
])
def test_normalize_device(name, expected):
    assert normalize_device(name) == expected


@pytest.mark.parametrize("bad,error", [("tpu", ValueError), ("cuda:1", ValueError),
                                       ("CPU", ValueError), (3, TypeError)])
def test_unknown_devices_are_rejected(bad, error):
    with pytest.raises(error):
        normalize_device(bad)
    with pytest.raises(error):
        ag.zeros(2, device=bad)


def test_unknown_device_message_lists_the_known_ones():
    with pytest.raises(ValueError, match="cpu.*cuda"):
        ag.tensor([1.0], device="tpu")


def test_backends_are_created_once():
    assert get_backend("cpu") is get_backend("cpu")
    assert get_backend(STRICT) is get_backend(STRICT)
    assert isinstance(get_backend(STRICT), Backend)
    assert get_backend(STRICT).name == STRICT


def test_register_backend_adds_a_device():
    class NumpyTwin(Backend):
        name = "twin"

    register_backend("twin", NumpyTwin)
    try:
        x = ag.arange(4.0, device="twin")
        assert x.device == "twin"
        y = (x * 2).sum()
        assert y.device == "twin" and y.item() == 12.0
        with pytest.raises(RuntimeError, match="twin"):
            x + ag.arange(4.0)
    finally:
        from autograd.backend import _backends, _factories
        _factories.pop("twin", None)
        _backends.pop("twin", None)


def test_cuda_module_api():
    for name in ("is_available", "device_count", "synchronize"):
        assert callable(getattr(ag.cuda, name))
    assert ag.cuda is autograd.cuda
    assert isinstance(ag.cuda.is_available(), bool)
    assert isinstance(ag.cuda.device_count(), int)
    assert ag.cuda.is_available() == (ag.cuda.device_count() > 0)


def test_tensor_device_attributes():
    x = ag.ones(2, device=STRICT)
    assert x.device == STRICT and not x.is_cuda
    assert ag.ones(2).device == "cpu"


def test_to_between_devices_keeps_values_and_dtype():
    for dtype in (ag.float32, ag.float64, ag.int64, ag.bool):
        x = ag.tensor(np.array([1, 0, 3]).astype(dtype))
        y = x.to(STRICT)
        assert_on_device(y, STRICT)
        assert y.dtype == dtype
        z = y.to("cpu")
        assert z.device == "cpu" and z.dtype == dtype
        np.testing.assert_array_equal(host(z), host(x))


def test_to_device_and_dtype_together():
    x = ag.tensor([1.0, 2.0])
    y = x.to(STRICT, ag.float64)
    assert y.device == STRICT and y.dtype == np.float64
    z = x.to(device=STRICT, dtype=ag.float64)
    assert z.device == STRICT and z.dtype == np.float64
    w = x.to(y)                                     # like another tensor
    assert w.device == STRICT and w.dtype == np.float64


def test_load_with_map_location_onto_device(tmp_path):
    path = str(tmp_path / "t.ag")
    ag.save({"w": ag.tensor([[1.0, 2.0]])}, path)
    loaded = ag.load(path, map_location=STRICT)
    assert_on_device(loaded["w"], STRICT)
    np.testing.assert_array_equal(host(loaded["w"]), [[1.0, 2.0]])
