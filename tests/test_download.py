"""The download path, against a local HTTP server on 127.0.0.1.

The server serves, under different URL prefixes, good files, corrupt files
(one byte changed), truncated transfers (fewer bytes than Content-Length),
server errors (HTTP 500) and a slow response (for the timeout).
"""

import gzip
import hashlib
import http.server
import os
import shutil
import socket
import threading
import time

import numpy as np
import pytest

from autograd.data import (MNIST, DownloadError, FashionMNIST, bundled_data_dir, download_file,
                           idx_bytes)
from autograd.data.download import cache_dir

STEMS = ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class FileServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, files):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = files  # name -> bytes
        self.requests = []

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        mode, _, name = self.path.strip("/").partition("/")
        content = self.server.files.get(name)
        if mode == "error":
            self.send_error(500, "Internal Server Error")
            return
        if content is None:
            self.send_error(404, "Not Found")
            return
        if mode == "slow":
            time.sleep(1.5)
        if mode == "corrupt":
            content = bytearray(content)
            content[len(content) // 2] ^= 0x01
            content = bytes(content)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if mode == "truncated":
            content = content[: len(content) // 3]
            self.close_connection = True
        try:
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the timeout test)


@pytest.fixture
def server():
    files = {}
    for stem in STEMS:
        with open(os.path.join(bundled_data_dir(), stem + ".gz"), "rb") as handle:
            files[stem + ".gz"] = handle.read()
    files["small.bin"] = os.urandom(200_000)
    srv = FileServer(files)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def empty_cache(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("AUTOGRAD_DATA", str(cache))
    monkeypatch.delenv("AUTOGRAD_MNIST_MIRRORS", raising=False)
    return cache


def md5(data):
    return hashlib.md5(data).hexdigest()


def leftovers(directory):
    return [name for name in os.listdir(directory) if name.endswith(".part")]


# ---------------------------------------------------------------------------
# download_file
# ---------------------------------------------------------------------------
def test_good_download_with_progress_bar(server, tmp_path, capsys):
    content = server.files["small.bin"]
    target = tmp_path / "out" / "small.bin"
    result = download_file(f"{server.base}/good/small.bin", target, md5=md5(content))
    assert result == str(target)
    assert target.read_bytes() == content
    assert leftovers(target.parent) == []
    assert "small.bin" in capsys.readouterr().err  # the tqdm bar writes to stderr


def test_accepts_a_recompressed_file_by_its_uncompressed_md5(server, tmp_path):
    packed = server.files["t10k-labels-idx1-ubyte.gz"]
    target = tmp_path / "labels.gz"
    download_file(f"{server.base}/good/t10k-labels-idx1-ubyte.gz", target,
                  md5="ec29112dd5afa0611ce80d1b7f02629c",  # published .gz sum: differs here
                  md5_uncompressed=md5(gzip.decompress(packed)), progress=False)
    assert target.read_bytes() == packed


@pytest.mark.parametrize("mode, reason", [
    ("corrupt", "checksum mismatch"),
    ("truncated", "truncated transfer"),
    ("error", "HTTP 500"),
    ("missing", "HTTP 404"),
])
def test_failed_download_leaves_no_file(server, tmp_path, mode, reason):
    content = server.files["small.bin"]
    target = tmp_path / "small.bin"
    url = f"{server.base}/{mode}/{'nothere' if mode == 'missing' else 'small.bin'}"
    with pytest.raises(DownloadError, match=reason) as info:
        download_file(url, target, md5=md5(content), progress=False)
    assert url in str(info.value)
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_failed_download_keeps_an_existing_file(server, tmp_path):
    target = tmp_path / "small.bin"
    target.write_bytes(b"previous")
    with pytest.raises(DownloadError):
        download_file(f"{server.base}/truncated/small.bin", target,
                      md5=md5(server.files["small.bin"]), progress=False)
    assert target.read_bytes() == b"previous"


def test_truncated_transfer_detected_even_without_checksum(server, tmp_path):
    with pytest.raises(DownloadError, match="truncated transfer"):
        download_file(f"{server.base}/truncated/small.bin", tmp_path / "x", progress=False)
    assert not (tmp_path / "x").exists()


def test_mirrors_are_tried_in_order(server, tmp_path, closed_port_url):
    content = server.files["small.bin"]
    urls = [f"{closed_port_url}/small.bin", f"{server.base}/error/small.bin",
            f"{server.base}/corrupt/small.bin", f"{server.base}/good/small.bin"]
    download_file(urls, tmp_path / "small.bin", md5=md5(content), progress=False)
    assert (tmp_path / "small.bin").read_bytes() == content
    assert server.requests == ["/error/small.bin", "/corrupt/small.bin", "/good/small.bin"]


def test_all_mirrors_failing_lists_every_attempt(server, tmp_path, closed_port_url):
    urls = [f"{closed_port_url}/small.bin", f"{server.base}/error/small.bin"]
    with pytest.raises(DownloadError) as info:
        download_file(urls, tmp_path / "small.bin", md5="0" * 32, progress=False)
    message = str(info.value)
    assert "unreachable" in message and "HTTP 500" in message
    assert all(url in message for url in urls)


def test_timeout(server, tmp_path):
    start = time.perf_counter()
    with pytest.raises(DownloadError, match="timed out"):
        download_file(f"{server.base}/slow/small.bin", tmp_path / "s", timeout=0.3, progress=False)
    assert time.perf_counter() - start < 1.4
    assert leftovers(tmp_path) == []


def test_no_url_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="no URL"):
        download_file([], tmp_path / "x")


def test_cache_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.setenv("AUTOGRAD_DATA", str(tmp_path / "elsewhere"))
    assert cache_dir() == str(tmp_path / "elsewhere")
    monkeypatch.delenv("AUTOGRAD_DATA")
    assert cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "autograd")


# ---------------------------------------------------------------------------
# MNIST(download=True)
# ---------------------------------------------------------------------------
@pytest.fixture
def no_bundled_copy(monkeypatch):
    """Hide the bundled test set, which MNIST(train=False) would otherwise find."""
    monkeypatch.setattr(MNIST, "_test_split_dirs", lambda self: [])


def test_mnist_test_split_needs_no_download_thanks_to_the_bundled_copy(server, tmp_path):
    ds = MNIST(root=tmp_path, train=False, download=True, mirrors=[f"{server.base}/good"])
    assert ds.images_file.startswith(bundled_data_dir()) and server.requests == []


def test_mnist_download_into_root(server, tmp_path, no_bundled_copy):
    root = tmp_path / "root"
    ds = MNIST(root=root, train=False, download=True, mirrors=[f"{server.base}/good"],
               progress=False)
    assert ds.images_file == str(root / "mnist" / "t10k-images-idx3-ubyte.gz")
    assert len(ds) == 10000 and ds.targets[:3].tolist() == [7, 2, 1]
    assert sorted(server.requests) == sorted(f"/good/{s}.gz" for s in STEMS)
    # a second construction finds the files and fetches nothing
    server.requests.clear()
    MNIST(root=root, train=False, download=True, mirrors=[f"{server.base}/good"])
    assert server.requests == []


def test_mnist_download_into_cache_with_mirror_env(server, empty_cache, monkeypatch,
                                                   no_bundled_copy):
    monkeypatch.setenv("AUTOGRAD_MNIST_MIRRORS", f"{server.base}/error, {server.base}/good")
    ds = MNIST(train=False, download=True, progress=False)
    assert ds.images_file == str(empty_cache / "mnist" / "t10k-images-idx3-ubyte.gz")
    assert "/error/t10k-images-idx3-ubyte.gz" in server.requests


def test_mnist_download_replaces_a_corrupt_cached_file(server, tmp_path, no_bundled_copy):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for stem in STEMS:
        shutil.copy(os.path.join(bundled_data_dir(), stem + ".gz"), folder)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(10000, np.uint8))))
    ds = MNIST(root=tmp_path, train=False, download=True, mirrors=[f"{server.base}/good"],
               progress=False)
    assert server.requests == ["/good/t10k-labels-idx1-ubyte.gz"]
    assert ds.targets[:3].tolist() == [7, 2, 1]


def test_mnist_corrupt_mirror_raises_and_leaves_nothing(server, tmp_path, no_bundled_copy):
    with pytest.raises(DownloadError, match="corrupt gzip data"):
        MNIST(root=tmp_path, train=False, download=True, mirrors=[f"{server.base}/corrupt"],
              progress=False)
    folder = tmp_path / "mnist"
    assert not folder.exists() or os.listdir(folder) == []


def test_mnist_train_download_from_a_mirror_serving_other_files(server, tmp_path):
    """A mirror serving wrong content (here: the test set under the training names) is rejected."""
    server.files["train-images-idx3-ubyte.gz"] = server.files["t10k-images-idx3-ubyte.gz"]
    with pytest.raises(DownloadError, match="checksum mismatch"):
        MNIST(root=tmp_path, train=True, download=True, mirrors=f"{server.base}/good",
              progress=False)


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_fashion_mnist_download(server, tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", ())  # force the download path
    for stem in STEMS:
        with open(f"/usr/share/datasets/fashion-mnist/{stem}.gz", "rb") as handle:
            server.files[stem + ".gz"] = handle.read()
    monkeypatch.setenv("AUTOGRAD_FASHION_MNIST_MIRRORS", f"{server.base}/good")
    ds = FashionMNIST(root=tmp_path, train=False, download=True, progress=False)
    assert ds.images_file == str(tmp_path / "fashion-mnist" / "t10k-images-idx3-ubyte.gz")
    assert len(ds) == 10000 and ds.classes[int(ds.targets[0])] == "Ankle boot"
