"""Flush subnormal numbers to zero while the network computes (x86-64 Linux).

A float below the smallest normal number (``1.2e-38`` in float32, ``2.2e-308``
in float64) is *subnormal*, and x86 processors handle it in microcode: an
``np.dot``, ``np.multiply`` or ``np.tanh`` on a small float32 array holding
subnormals runs 20 to 45 times slower than on the same array of normal
numbers (measured here: a (64, 32) @ (32, 8) product, 1.0 us against 47 us).
Training produces them when gradients vanish through the steps or weights
decay towards zero (float32 mostly; the float64 range is far wider), and then
the cost of an epoch follows the trained state instead of the data size.

:func:`flush_denormals` sets the processor's flush-to-zero and
denormals-are-zero modes (MXCSR bits FTZ and DAZ) for the calling thread while
the network computes and restores the previous modes afterwards: a subnormal
result becomes 0 and a subnormal operand is read as 0. TensorFlow runs its
kernels with the same modes; ``torch.set_flush_denormal(True)`` sets them in
PyTorch. Only values below the smallest normal number change.

The modes are set through the C library's ``fegetenv``/``fesetenv`` (glibc on
x86-64, through :mod:`ctypes`); elsewhere the context does nothing.
Threads that a BLAS library starts for large products keep their own modes.
"""

import contextlib
import ctypes
import platform
import sys

_FTZ_DAZ = 0x8040  # MXCSR bit 15 (flush to zero) and bit 6 (denormals are zero)


class _FEnv(ctypes.Structure):
    """glibc's ``fenv_t`` on x86-64: the x87 environment, then MXCSR."""

    _fields_ = [("x87", ctypes.c_ubyte * 28), ("mxcsr", ctypes.c_uint32)]


def _load_libm():
    if sys.platform != "linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    if platform.libc_ver()[0] != "glibc" or ctypes.sizeof(ctypes.c_void_p) != 8:
        return None  # (a 32-bit Python on an x86-64 kernel: no MXCSR in its fenv_t)
    try:
        libm = ctypes.CDLL("libm.so.6")
    except OSError:
        return None
    for name in ("fegetenv", "fesetenv"):
        getattr(libm, name).argtypes = [ctypes.POINTER(_FEnv)]
        getattr(libm, name).restype = ctypes.c_int
    env = _FEnv()
    if libm.fegetenv(ctypes.byref(env)) != 0:
        return None
    return libm


_LIBM = _load_libm()

#: Whether :func:`flush_denormals` changes anything on this machine.
SUPPORTED = _LIBM is not None


def _set_modes(bits):
    """Set the FTZ/DAZ bits of MXCSR to ``bits``; returns their previous value."""
    env = _FEnv()
    if _LIBM.fegetenv(ctypes.byref(env)) != 0:
        return bits  # nothing read, nothing changed (glibc always succeeds)
    previous = env.mxcsr & _FTZ_DAZ
    if previous != bits:  # only these two bits change: rounding, masks and flags stay
        env.mxcsr = (env.mxcsr & ~_FTZ_DAZ & 0xFFFFFFFF) | bits
        _LIBM.fesetenv(ctypes.byref(env))
    return previous


@contextlib.contextmanager
def flush_denormals():
    """Compute with subnormal numbers flushed to zero inside the ``with`` block."""
    if _LIBM is None:
        yield
        return
    previous = _set_modes(_FTZ_DAZ)
    try:
        yield
    finally:
        _set_modes(previous)
