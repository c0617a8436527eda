"""Branch-free ``exp``, ``log`` and ``log1p`` that LLVM can vectorise inside Numba loops.

Numba lowers ``math.exp`` / ``math.log1p`` to scalar libm calls, which stop the
loop vectoriser (there is no vector libm without Intel SVML) and cost 3 to 9 ns
each.  The functions below are written in plain arithmetic plus two bit casts,
so a loop that calls them compiles to SIMD code (AVX2 / AVX-512).

Accuracy: each is within 1 ulp of the correctly rounded result on its domain
(checked against glibc and 40-digit mpmath; glibc itself is within 1 ulp), so
kernels built on them agree with the libm versions to a few ulp.  They are not
general replacements: each documents its domain, and the callers stay inside it
(non-finite inputs are filtered by the kernels before their result is used).

* :func:`exp_le0` — ``exp(x)`` for ``x <= 0`` (also correct up to ``x ≈ 709``):
  Cody-Waite reduction ``x = n ln2 + r``, ``|r| <= ln2 / 2``, degree-13 Taylor
  polynomial, scaling by ``2**n`` in two halves so that gradual underflow is
  rounded once; ``x < -746`` gives 0.
* :func:`log1p_01` — ``log1p(x)`` for ``0 <= x <= 1`` (fdlibm ``s_log1p``
  structure with the rounding correction of ``1 + x``).
* :func:`log_pos` — ``log(x)`` for positive normal ``x`` (fdlibm ``e_log``).

No ``fastmath``: the evaluation order is the one written here.  Polynomials
use explicit fused multiply-adds (:func:`fma`, ``llvm.fma``: one rounding, so
at least as accurate as a multiply and an add; one instruction on x86-64 with
FMA3, a libm call elsewhere), which shortens their dependency chains by half.

Numba's on-disk cache keys on the source file of each compiled kernel, not
on the files it inlines from: after editing this module or
:mod:`focalboost._formulas`, delete the package's ``__pycache__/*.nbi`` /
``*.nbc`` files (installed releases are unaffected).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from focalboost._jit import inline


@intrinsic
def _i64_as_f64(typingctx, x):
    """Reinterpret the bits of an int64 as a float64 (an LLVM ``bitcast``)."""
    if not isinstance(x, types.Integer):
        return None
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        val = context.cast(builder, args[0], signature.args[0], types.int64)
        return builder.bitcast(val, ir.DoubleType())

    return sig, codegen


@intrinsic
def _f64_as_i64(typingctx, x):
    """Reinterpret the bits of a float64 as an int64 (an LLVM ``bitcast``)."""
    if not isinstance(x, types.Float):
        return None
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        val = context.cast(builder, args[0], signature.args[0], types.float64)
        return builder.bitcast(val, ir.IntType(64))

    return sig, codegen


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (``llvm.fma``: one instruction on x86-64 with FMA3)."""
    if not all(isinstance(t, types.Float) for t in (a, b, c)):
        return None
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        vals = [context.cast(builder, v, t, types.float64)
                for v, t in zip(args, signature.args, strict=True)]
        dbl = ir.DoubleType()
        fn = builder.module.declare_intrinsic(
            "llvm.fma", [dbl], ir.FunctionType(dbl, [dbl, dbl, dbl]))
        return builder.call(fn, vals)

    return sig, codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 with the low 32 bits zero: n * _LN2_HI is exact
_LN2_LO = 1.90821492927058770002e-10
_SHIFT = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_SHIFT_BITS = 0x4338000000000000

# 1/k! for k = 13 .. 3
_C13 = 1.0 / 6227020800.0
_C12 = 1.0 / 479001600.0
_C11 = 1.0 / 39916800.0
_C10 = 1.0 / 3628800.0
_C9 = 1.0 / 362880.0
_C8 = 1.0 / 40320.0
_C7 = 1.0 / 5040.0
_C6 = 1.0 / 720.0
_C5 = 1.0 / 120.0
_C4 = 1.0 / 24.0
_C3 = 1.0 / 6.0


@inline
def exp_le0(x):
    """``exp(x)`` for ``-inf < x <= 0``; within 1 ulp (0 below -746)."""
    x = max(x, -746.0)
    kd = fma(x, _LOG2E, _SHIFT)
    nf = kd - _SHIFT  # round(x / ln 2)
    r = fma(nf, -_LN2_LO, fma(nf, -_LN2_HI, x))
    p = fma(_C13, r, _C12)
    p = fma(p, r, _C11)
    p = fma(p, r, _C10)
    p = fma(p, r, _C9)
    p = fma(p, r, _C8)
    p = fma(p, r, _C7)
    p = fma(p, r, _C6)
    p = fma(p, r, _C5)
    p = fma(p, r, _C4)
    p = fma(p, r, _C3)
    p = fma(p, r, 0.5)
    y = 1.0 + fma(r * r, p, r)
    n = _f64_as_i64(kd) - _SHIFT_BITS  # the integer nf, read off the shifted bits
    n1 = n >> 1
    n2 = n - n1
    # two exact power-of-two factors >= 2**-538: a subnormal result is rounded once
    return (y * _i64_as_f64((n1 + 1023) << 52)) * _i64_as_f64((n2 + 1023) << 52)


_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT2_M1 = 0.41421356237309503


@inline
def _log_core(f, dk, c):
    """``dk ln2 + log(1 + f) + c`` for ``sqrt(2)/2 - 1 <= f <= sqrt(2) - 1`` (fdlibm)."""
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * fma(w, fma(w, _LG6, _LG4), _LG2)
    t2 = z * fma(w, fma(w, fma(w, _LG7, _LG5), _LG3), _LG1)
    r = t2 + t1
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + (dk * _LN2_LO + c))) - f)


@inline
def log1p_01(x):
    """``log1p(x)`` for ``0 <= x <= 1``; within 1 ulp."""
    return log1p_01_inv(x, 1.0 / (1.0 + x))


@inline
def log1p_01_inv(x, inv_u):
    """``log1p(x)`` for ``0 <= x <= 1`` given ``inv_u = 1 / (1 + x)`` (saves a division)."""
    u = 1.0 + x
    big = x >= _SQRT2_M1
    # for x >= sqrt(2) - 1: 1 + x = 2 (1 + f) (1 + c/u), all of f, u - 1, x - (u - 1)
    # exact; c/u is a correction below half an ulp of the result
    f = 0.5 * u - 1.0 if big else x
    c = (x - (u - 1.0)) * inv_u if big else 0.0
    dk = 1.0 if big else 0.0
    return _log_core(f, dk, c)


_MANT_MASK = 0x000FFFFFFFFFFFFF
_SQRT2_MANT = 0x6A09E667F3BCD  # mantissa bits of sqrt(2)


@inline
def log_pos(x):
    """``log(x)`` for positive normal ``x``; within 1 ulp."""
    hx = _f64_as_i64(x)
    mant = hx & _MANT_MASK
    big = mant >= _SQRT2_MANT
    k = (hx >> 52) - (1022 if big else 1023)
    # x = 2**k * (1 + f) with 1 + f in [sqrt(2)/2, sqrt(2)); both steps exact
    f = _i64_as_f64(mant | ((1022 if big else 1023) << 52)) - 1.0
    return _log_core(f, float(k), 0.0)
