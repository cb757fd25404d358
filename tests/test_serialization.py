"""ag.save / ag.load: round trips, and refusal of pickles and tampered files."""

import io
import json
import math
import os
import pickle
import zipfile

import numpy as np
import pytest

import autograd as ag
from autograd import nn


def round_trip(obj, tmp_path, **load_kwargs):
    path = tmp_path / "checkpoint.agz"
    ag.save(obj, path)
    return ag.load(path, **load_kwargs)


def test_nested_round_trip_keeps_types(tmp_path):
    weight = ag.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    obj = {
        "model": {"0.weight": weight, "0.bias": ag.tensor([1.5, -2.0], dtype=ag.float64)},
        "optimizer": {
            "state": {0: {"step": ag.tensor(3.0), "exp_avg": ag.zeros(2, 3)}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                              "amsgrad": False, "foreach": None}],
        },
        "array": np.arange(4, dtype=np.int16),
        "mask": np.array([True, False]),
        "scalar": np.float32(2.5),
        "counts": ag.tensor([1, 2, 3]),
        "text": "épochs ✓",
        "big": 2 ** 70,
        "special": [math.inf, -0.0],
        (1, "pair"): "tuple key",
        2.5: "float key",
        None: "none key",
        "empty": {"list": [], "tuple": (), "dict": {}},
    }
    loaded = round_trip(obj, tmp_path)
    assert list(loaded) == list(obj)  # key order and key types
    model = loaded["model"]
    assert isinstance(model["0.weight"], ag.Tensor) and model["0.weight"].device == "cpu"
    assert model["0.weight"].dtype == ag.float32 and model["0.weight"].requires_grad
    assert model["0.weight"].is_leaf
    np.testing.assert_array_equal(model["0.weight"].detach().numpy(), weight.detach().numpy())
    assert model["0.bias"].dtype == ag.float64 and model["0.bias"].tolist() == [1.5, -2.0]
    assert not model["0.bias"].requires_grad
    state = loaded["optimizer"]["state"]
    assert list(state) == [0] and isinstance(list(state)[0], int)
    assert state[0]["step"].item() == 3.0
    group = loaded["optimizer"]["param_groups"][0]
    assert group == {"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                     "foreach": None}
    assert isinstance(group["betas"], tuple) and isinstance(group["params"], list)
    assert type(loaded["array"]) is np.ndarray and loaded["array"].dtype == np.int16
    assert loaded["mask"].dtype == np.bool_
    assert type(loaded["scalar"]) is np.float32 and loaded["scalar"] == 2.5
    assert loaded["counts"].dtype == ag.int64
    assert loaded["text"] == "épochs ✓" and loaded["big"] == 2 ** 70
    assert loaded["special"][0] == math.inf and math.copysign(1, loaded["special"][1]) == -1
    assert loaded[(1, "pair")] == "tuple key" and loaded[2.5] == "float key"
    assert loaded[None] == "none key"
    assert loaded["empty"] == {"list": [], "tuple": (), "dict": {}}


def test_nan_round_trip(tmp_path):
    loaded = round_trip([float("nan"), ag.tensor([float("nan")])], tmp_path)
    assert math.isnan(loaded[0]) and math.isnan(loaded[1].item())


def test_scalar_top_level_objects(tmp_path):
    for value in (None, True, 7, 2.5, "x"):
        assert round_trip(value, tmp_path) == value


def test_model_and_optimizer_state_round_trip(tmp_path):
    ag.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    optimizer = ag.optim.Adam(model.parameters(), lr=0.01)
    loss = model(ag.randn(5, 4)).sum()
    loss.backward()
    optimizer.step()
    ag.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "c")

    restored = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    restored_optimizer = ag.optim.Adam(restored.parameters(), lr=0.5)
    checkpoint = ag.load(tmp_path / "c")
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    for (name, a), (_, b) in zip(model.state_dict().items(), restored.state_dict().items()):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy(), err_msg=name)
    assert restored_optimizer.param_groups[0]["lr"] == 0.01
    # one more identical step on both gives identical parameters
    x = ag.randn(5, 4)
    for m, opt in ((model, optimizer), (restored, restored_optimizer)):
        opt.zero_grad()
        m(x).sum().backward()
        opt.step()
    for a, b in zip(model.parameters(), restored.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=0, atol=0)


def test_file_objects(tmp_path):
    buffer = io.BytesIO()
    ag.save({"x": ag.ones(3)}, buffer)
    buffer.seek(0)
    assert ag.load(buffer)["x"].tolist() == [1.0, 1.0, 1.0]


def test_save_writes_atomically(tmp_path):
    path = tmp_path / "c.agz"
    ag.save({"a": 1}, path)
    with pytest.raises(TypeError, match="cannot save an object of type object"):
        ag.save({"a": object()}, path)
    assert ag.load(path) == {"a": 1}  # the failed save left the old checkpoint intact
    assert os.listdir(tmp_path) == ["c.agz"]


def test_unsaveable_objects():
    with pytest.raises(TypeError, match=r"obj\['bad'\]: cannot save an object of type set"):
        ag.save({"bad": {1, 2}}, io.BytesIO())
    with pytest.raises(TypeError, match="dict keys must be"):
        ag.save({frozenset(): 1}, io.BytesIO())
    with pytest.raises(TypeError, match="dtype object"):
        ag.save(np.array([{}], dtype=object), io.BytesIO())
    cycle = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="cycle"):
        ag.save(cycle, io.BytesIO())


def test_map_location(tmp_path):
    path = tmp_path / "c"
    ag.save({"w": ag.ones(2)}, path)
    assert ag.load(path, map_location="cpu")["w"].device == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        ag.load(path, map_location="tpu")
    with pytest.raises(TypeError, match="map_location"):
        ag.load(path, map_location=3)


@pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CUDA")
def test_cuda_tensors_are_saved_as_host_arrays(tmp_path):
    weight = ag.ones(2, 3).to("cuda").requires_grad_()
    path = tmp_path / "c"
    ag.save({"w": weight}, path)
    loaded = ag.load(path)["w"]
    assert loaded.device == "cpu" and loaded.requires_grad
    on_gpu = ag.load(path, map_location="cuda")["w"]
    assert on_gpu.device == "cuda" and on_gpu.requires_grad and on_gpu.is_leaf


# ---------------------------------------------------------------------------
# refusing pickles, foreign files and tampered checkpoints
# ---------------------------------------------------------------------------
class Boom:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("protocol", [0, 2, pickle.HIGHEST_PROTOCOL])
def test_pickle_is_refused(tmp_path, protocol):
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"x": Boom()}, protocol=protocol))
    with pytest.raises(ValueError, match="refuses pickles"):
        ag.load(path)


def test_torch_save_file_is_refused(tmp_path, torch):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(ValueError, match="refuses pickles"):
        ag.load(path)


@pytest.mark.parametrize("content, message", [
    (b"", "not an ag.save checkpoint"),
    (b"\x93NUMPY\x01\x00", "not an ag.save checkpoint"),
    (b"PK\x03\x04 not really a zip", "not a readable ag.save checkpoint"),
])
def test_foreign_files_are_refused(tmp_path, content, message):
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        ag.load(path)


def test_npz_without_index_is_refused(tmp_path):
    np.savez(tmp_path / "a.npz", x=np.ones(2))
    with pytest.raises(ValueError, match="no index.json"):
        ag.load(tmp_path / "a.npz")


def rewrite(path, change):
    """Apply ``change(members)`` to the dict of a checkpoint's members and rewrite the zip."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def edit_index(edit):
    def change(members):
        index = json.loads(members["index.json"])
        edit(index)
        members["index.json"] = json.dumps(index).encode()
    return change


def set_node(index, **fields):
    index["object"]["items"][0][1].update(fields)


@pytest.mark.parametrize("change, message", [
    (edit_index(lambda i: i.update(format="something else")), "is not an ag.save checkpoint"),
    (edit_index(lambda i: i.update(version=99)), "version 99 is not supported"),
    (edit_index(lambda i: i.update(extra=1)), "invalid checkpoint index fields"),
    (edit_index(lambda i: set_node(i, type="pickle")), "unknown node type 'pickle'"),
    (edit_index(lambda i: set_node(i, array="arrays/7.npy")), "not in the archive"),
    (edit_index(lambda i: set_node(i, array="index.json")), "not in the archive"),
    (edit_index(lambda i: set_node(i, requires_grad="yes")), "requires_grad is not a bool"),
    (edit_index(lambda i: set_node(i, code="print(1)")), "node has fields"),
    (edit_index(lambda i: i["object"]["items"].append(i["object"]["items"][0])), "referenced twice|duplicate"),
    (edit_index(lambda i: i["object"]["items"][1][1].update(type="int", value="3")), "int node holds a str"),
    (edit_index(lambda i: i["object"]["items"][1].__setitem__(0, {"type": "list", "items": []})), "dict key of type 'list'"),
    (lambda m: m.__setitem__("index.json", b"{not json"), "not valid JSON"),
    (lambda m: m.__setitem__("arrays/9.npy", m["arrays/0.npy"]), "not referenced by the index"),
    (lambda m: m.__setitem__("arrays/0.npy", pickle.dumps([1])), "cannot be read without pickle"),
    (lambda m: m.__setitem__("arrays/0.npy", m["arrays/0.npy"][:-4]), "cannot be read|corrupt"),
])
def test_tampered_checkpoints_are_refused(tmp_path, change, message):
    path = tmp_path / "c"
    ag.save({"w": ag.ones(2, 2), "n": 3}, path)
    rewrite(path, change)
    with pytest.raises(ValueError, match=message):
        ag.load(path)


def test_object_array_in_checkpoint_is_refused(tmp_path):
    path = tmp_path / "c"
    ag.save({"w": np.ones(2)}, path)
    evil = io.BytesIO()
    np.save(evil, np.array([Boom()], dtype=object), allow_pickle=True)
    rewrite(path, lambda m: m.__setitem__("arrays/0.npy", evil.getvalue()))
    with pytest.raises(ValueError, match="without pickle"):
        ag.load(path)


def test_flipped_byte_is_detected(tmp_path):
    path = tmp_path / "c"
    ag.save({"w": ag.ones(100)}, path)
    data = bytearray(path.read_bytes())
    data[data.index(b"\x00\x00\x80\x3f") + 1] ^= 0x40  # inside the float data of arrays/0.npy
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt|CRC"):
        ag.load(path)


def test_truncated_checkpoint_is_refused(tmp_path):
    path = tmp_path / "c"
    ag.save({"w": ag.ones(100)}, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError):
        ag.load(path)
