"""Downloading data files: mirrors, checksums, atomic writes, the cache directory.

:func:`download_file` tries each mirror in turn, streams the file into a
temporary file next to its destination (with a tqdm progress bar on
stderr), checks the length and the MD5, and only then renames it into
place -- so an interrupted, truncated or corrupt download never leaves a
file that looks valid.  When every mirror fails it raises
:class:`DownloadError` listing each URL tried and why it failed.
"""

import gzip
import hashlib
import http.client
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zlib

__all__ = ["DownloadError", "cache_dir", "download_file", "DEFAULT_TIMEOUT"]

#: seconds to wait for a server to connect or to send the next block
DEFAULT_TIMEOUT = 30.0

_BLOCK_SIZE = 1 << 16


class DownloadError(RuntimeError):
    """Every mirror failed to deliver a file with the expected checksum."""


def cache_dir():
    """The directory where data sets are stored by default.

    ``$AUTOGRAD_DATA`` when set (``~`` is expanded), else ``~/.cache/autograd/``.
    The directory is not created here; downloads create it when needed.

    Example::

        >>> os.environ["AUTOGRAD_DATA"] = "/tmp/data"    # doctest: +SKIP
        >>> cache_dir()
        '/tmp/data'
    """
    path = os.environ.get("AUTOGRAD_DATA")
    if not path:
        path = os.path.join("~", ".cache", "autograd")
    return os.path.abspath(os.path.expanduser(path))


def _fetch_to(url, handle, name, timeout, progress):
    """Stream ``url`` into the open binary ``handle``; return the number of bytes.

    Raises ``OSError`` subclasses (``urllib.error.URLError``, ``TimeoutError``)
    for network failures and ``ValueError`` when fewer bytes arrive than the
    server's Content-Length announced.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "autograd-data/1"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length_header = response.headers.get("Content-Length")
        total = int(length_header) if length_header and length_header.isdigit() else None
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                       desc=name, file=sys.stderr, leave=False)
        received = 0
        try:
            while True:
                block = response.read(_BLOCK_SIZE)
                if not block:
                    break
                handle.write(block)
                received += len(block)
                if bar is not None:
                    bar.update(len(block))
        finally:
            if bar is not None:
                bar.close()
    # http.client returns a short body without complaint when the connection
    # drops early; the announced length is the only way to notice.
    if total is not None and received != total:
        raise ValueError(f"truncated transfer: received {received} of {total} bytes")
    return received


def _checksum_problem(path, md5, md5_uncompressed):
    """None when the file at ``path`` matches one of the given MD5s, else a reason."""
    if md5 is None and md5_uncompressed is None:
        return None
    with open(path, "rb") as handle:
        raw = handle.read()
    raw_md5 = hashlib.md5(raw).hexdigest()
    if md5 is not None and raw_md5 == md5.lower():
        return None
    if md5_uncompressed is not None:
        content = raw
        if raw[:2] == b"\x1f\x8b":
            try:
                content = gzip.decompress(raw)
            except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
                return f"corrupt gzip data ({exc})"
        content_md5 = hashlib.md5(content).hexdigest()
        if content_md5 == md5_uncompressed.lower():
            return None
        return (f"checksum mismatch: MD5 {raw_md5} (uncompressed {content_md5}), expected "
                + (f"{md5.lower()} or " if md5 is not None else "")
                + f"uncompressed {md5_uncompressed.lower()}")
    return f"checksum mismatch: MD5 {raw_md5}, expected {md5.lower()}"


def download_file(urls, path, md5=None, md5_uncompressed=None, timeout=DEFAULT_TIMEOUT,
                  progress=True):
    """Download a file from the first mirror that delivers it intact.

    Args:
        urls: one URL or a sequence of URLs (mirrors), tried in order.
        path: destination file; its directory is created if missing.  It is
            written only once a complete file has passed the checks.
        md5: expected hex MD5 of the file as downloaded (the published ``.gz`` sum).
        md5_uncompressed: expected hex MD5 of the gunzipped content; accepting
            it too lets a mirror serve a faithful re-compression.  With both
            given, matching either one is enough.
        timeout: seconds for connecting and for each read.
        progress: show a tqdm progress bar on stderr.

    Returns:
        ``path``.

    Raises:
        DownloadError: every mirror failed (unreachable, HTTP error, timeout,
            truncated transfer, checksum mismatch); the message lists them all.

    Example::

        >>> download_file(["https://example.org/a.gz"], "/tmp/a.gz", md5="...")  # doctest: +SKIP
    """
    if isinstance(urls, str):
        urls = [urls]
    urls = list(urls)
    if not urls:
        raise ValueError("download_file: no URL given")
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    os.makedirs(directory, exist_ok=True)
    failures = []
    for url in urls:
        # The temporary file lives in the destination directory so the final
        # os.replace is an atomic rename on the same file system.
        fd, temp_path = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=directory)
        try:
            with os.fdopen(fd, "wb") as handle:
                _fetch_to(url, handle, name, timeout, progress)
            problem = _checksum_problem(temp_path, md5, md5_uncompressed)
            if problem is not None:
                raise ValueError(problem)
            os.replace(temp_path, path)
            return path
        except urllib.error.HTTPError as exc:
            failures.append(f"{url}: HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            failures.append(f"{url}: unreachable ({exc.reason})")
        except (OSError, ValueError, http.client.HTTPException) as exc:
            # timeouts, dropped connections, malformed responses, and the
            # length and checksum checks above
            failures.append(f"{url}: {exc.__class__.__name__}: {exc}")
        finally:
            if os.path.exists(temp_path):
                os.remove(temp_path)
    tried = "\n  ".join(failures)
    raise DownloadError(f"could not download {name} from any mirror; tried:\n  {tried}")
