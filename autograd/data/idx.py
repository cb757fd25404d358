"""Reading IDX files, the format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number, one big-endian ``int32`` per
dimension, then the array in C order (big-endian for multi-byte types)::

    byte 0-1   0x00 0x00
    byte 2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
               0x0D float32, 0x0E float64
    byte 3     number of dimensions
    then       ndim x int32 sizes, then prod(sizes) elements

Files may be gzip-compressed (``.gz``) or raw.  :func:`read_idx` checks the
magic number, that the data is exactly as long as the header says, and,
when given, the MD5 of the *uncompressed* bytes -- the one checksum that is
the same for the published files and for any faithful re-compression.
"""

import gzip
import hashlib
import os
import zlib

import numpy

__all__ = ["read_idx", "read_idx_bytes", "idx_bytes", "file_md5", "IDX_DTYPES"]

#: IDX element-type codes and the (big-endian) NumPy dtypes they hold
IDX_DTYPES = {
    0x08: numpy.dtype(numpy.uint8),
    0x09: numpy.dtype(numpy.int8),
    0x0B: numpy.dtype(">i2"),
    0x0C: numpy.dtype(">i4"),
    0x0D: numpy.dtype(">f4"),
    0x0E: numpy.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_file_bytes(path):
    """The uncompressed content of ``path`` (gunzipped when it is a gzip file).

    Gzip is recognised by its magic bytes, not by the file name, so a raw
    file named ``.gz`` (or the reverse) still reads correctly.
    """
    with open(path, "rb") as handle:
        raw = handle.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except EOFError as exc:
        raise ValueError(f"{path}: truncated gzip file ({len(raw)} bytes on disk): {exc}; "
                         "delete it and fetch it again") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise ValueError(f"{path}: corrupt gzip file: {exc}; delete it and fetch it again") from None


def file_md5(path, uncompressed=True):
    """Hex MD5 of the file at ``path``; of its gunzipped content when ``uncompressed``.

    The uncompressed MD5 is the one to compare with published IDX checksums:
    it does not change when a file is re-compressed.

    Example::

        >>> file_md5("t10k-labels-idx1-ubyte.gz")              # doctest: +SKIP
        '27ae3e4e09519cfbb04c329615203637'
    """
    if uncompressed:
        return hashlib.md5(_read_file_bytes(path)).hexdigest()
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_idx_bytes(content, name="<bytes>"):
    """Parse the uncompressed bytes of an IDX file into a NumPy array.

    Multi-byte element types are converted to native byte order.  Raises
    ``ValueError`` naming ``name`` when the magic number is wrong, the type
    code unknown, or the data shorter or longer than the header announces.
    """
    if len(content) < 4:
        raise ValueError(f"{name}: not an IDX file: {len(content)} bytes, shorter than the 4-byte header")
    if content[0] != 0 or content[1] != 0:
        raise ValueError(f"{name}: not an IDX file: magic number starts with "
                         f"0x{content[0]:02x} 0x{content[1]:02x}, expected 0x00 0x00")
    type_code, ndim = content[2], content[3]
    if type_code not in IDX_DTYPES:
        known = ", ".join(f"0x{code:02X}" for code in IDX_DTYPES)
        raise ValueError(f"{name}: not an IDX file: unknown element type 0x{type_code:02X} "
                         f"(known: {known})")
    if ndim == 0:
        raise ValueError(f"{name}: IDX header declares 0 dimensions")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(f"{name}: truncated IDX header: {len(content)} bytes, "
                         f"expected {header_size} for {ndim} dimensions")
    shape = tuple(int(s) for s in numpy.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[type_code]
    expected = int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    actual = len(content) - header_size
    if actual < expected:
        raise ValueError(f"{name}: truncated IDX data: header says shape {shape} of {dtype.name} "
                         f"({expected} bytes), file has {actual} bytes of data")
    if actual > expected:
        raise ValueError(f"{name}: corrupt IDX file: header says shape {shape} of {dtype.name} "
                         f"({expected} bytes), file has {actual} bytes of data "
                         f"({actual - expected} extra)")
    array = numpy.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    # frombuffer over immutable bytes gives a read-only view; a native-order
    # writable copy is what callers expect from a loader.
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path, expected_md5=None):
    """Read an IDX file (gzip-compressed or raw) into a NumPy array.

    Args:
        path: the file (``str`` or path-like); gzip is detected from the content.
        expected_md5: hex MD5 of the uncompressed bytes; when given, a file
            whose content differs raises ``ValueError`` before it is parsed.

    Returns:
        ``numpy.ndarray`` of the file's shape and element type (native byte order).

    Raises:
        FileNotFoundError: no such file.
        ValueError: truncated or corrupt gzip, wrong magic number, size not
            matching the header, or an MD5 mismatch -- each message names the file.

    Example::

        >>> labels = read_idx("t10k-labels-idx1-ubyte.gz")        # doctest: +SKIP
        >>> labels.shape, labels.dtype
        ((10000,), dtype('uint8'))
    """
    path = os.fspath(path)
    content = _read_file_bytes(path)
    if expected_md5 is not None:
        actual_md5 = hashlib.md5(content).hexdigest()
        if actual_md5 != expected_md5.lower():
            raise ValueError(f"{path}: checksum mismatch: MD5 of the uncompressed content is "
                             f"{actual_md5}, expected {expected_md5.lower()}; the file is corrupt "
                             "or not the one expected -- delete it and fetch it again")
    return read_idx_bytes(content, name=path)


def idx_bytes(array):
    """Encode ``array`` as IDX bytes (the inverse of :func:`read_idx_bytes`).

    Useful for writing test fixtures and small data sets.  Supported dtypes:
    uint8, int8, int16, int32, float32, float64.

    Example::

        >>> data = idx_bytes(numpy.zeros((2, 3), dtype=numpy.uint8))
        >>> read_idx_bytes(data).shape
        (2, 3)
    """
    array = numpy.asarray(array)
    for code, dtype in IDX_DTYPES.items():
        if array.dtype == dtype.newbyteorder("="):
            break
    else:
        raise TypeError(f"idx_bytes: dtype {array.dtype} has no IDX type code "
                        "(use uint8, int8, int16, int32, float32 or float64)")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"idx_bytes: need 1 to 255 dimensions, got {array.ndim}")
    header = bytes([0, 0, code, array.ndim]) + numpy.asarray(array.shape, dtype=">u4").tobytes()
    return header + numpy.ascontiguousarray(array, dtype=dtype).tobytes()
