"""``fastjson.loads`` / ``loads_utf8`` against ``json.loads``: the same value (type, sign of
zero, key order) or the same exception (type and message), on the inputs where orjson alone
differs and on generated ones."""

from __future__ import annotations

import json
import math
import random
import struct
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.fastjson import loads, loads_utf8


def outcome(decode: Callable[[bytes], Any], data: bytes) -> tuple[str, str]:
    try:
        value = decode(data)
    except (ValueError, RecursionError) as error:
        return type(error).__name__, str(error)
    return "value", _exact(value)


def _exact(value: Any) -> str:
    """The value as json writes it: 1, 1.0 and true apart, -0.0, NaN, key order, surrogates."""
    return json.dumps(value)


def same_as_json(data: bytes) -> None:
    assert outcome(loads, data) == outcome(json.loads, data)
    assert outcome(loads_utf8, data) == outcome(lambda b: json.loads(b.decode("utf-8")), data)


BIG = [
    b"18446744073709551616",  # 2**64: orjson alone gives a float
    b"-9223372036854775809",  # below -2**63
    b"[1, 123456789012345678901234567890]",
    b'{"id": 99999999999999999999}',
    b"18446744073709551615",
    b"-9223372036854775808",
]
JSON_ONLY = [
    b"NaN",
    b"[Infinity, -Infinity]",
    b"1e400",
    b'"\\ud800"',
    b'"\\udc00x"',
    b'"\xed\xa0\x80"',  # a surrogate in UTF-8: json.loads(bytes) reads it, decode() does not
    b"\xef\xbb\xbf{}",  # a BOM
    '{"a": "é"}'.encode("utf-16"),
    '{"a": 1}'.encode("utf-32-le"),
    b"1\x00\x00\x00",
]
REFUSED = [
    b"",
    b" ",
    b"{",
    b'{"a":1,}',
    b"[1 2]",
    b"01",
    b"1.",
    b"'a'",
    b'"\\x"',
    b'"\t"',
    b"\xff",
    b"{}x",
    b"1],[2",  # not one value; read inside extra lists it would be one
    b"]" * 3 + b"[" * 3,
    b"[1]],[[2",
]
PLAIN = [
    b'{"a":1,"b":2,"a":3}',
    b"-0",
    b"-0.0",
    b"1e-400",
    b"0.1",
    b"1E+2",
    b'"\\u0000\\/"',
    b' \t\r\n{"x": [true, false, null]} \n',
    b'"\xf0\x9f\x98\x80 \\ud83d\\ude00 \x7f"',
    b'{"name": "ws-1", "notifications": {"failure": {"email": true}}}',
    b"123456789012345678",
    b"1234567890.1234567890",
]


@pytest.mark.parametrize("data", BIG + JSON_ONLY + REFUSED + PLAIN)
def test_same_value_or_same_error_as_json(data: bytes) -> None:
    same_as_json(data)


def test_big_integers_stay_integers() -> None:
    assert loads(b"[18446744073709551616]") == [2**64]
    assert type(loads(b"[18446744073709551616]")[0]) is int
    assert type(orjson.loads(b"[18446744073709551616]")[0]) is float  # why the guard exists


@pytest.mark.parametrize("depth", [1, 100, 512, 513, 600, 1010, 1024, 1025, 3000])
def test_nesting_is_read_or_refused_as_json_does(depth: int) -> None:
    # orjson alone reads 1,024 levels; json raises RecursionError near the recursion limit.
    same_as_json(b"[" * depth + b"]" * depth)
    same_as_json(b'{"a":' * depth + b"1" + b"}" * depth)


def test_a_deep_value_json_cannot_read_is_still_refused() -> None:
    data = b"[" * 1010 + b"]" * 1010
    assert orjson.loads(data)  # what the guard keeps out
    with pytest.raises(RecursionError):
        loads(data)


def test_floats_round_as_json_does() -> None:
    rng = random.Random(18)
    texts = []
    for _ in range(20_000):
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            texts += [repr(x), f"{x:.17g}", f"{x:.16e}", f"{x:.5e}"]
    for _ in range(5_000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 18)))
        texts.append(f"{digits[0]}.{digits[1:] or '0'}e{rng.randint(-330, 310)}")
    data = ("[" + ",".join(texts) + "]").encode()
    assert outcome(loads, data) == outcome(json.loads, data)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.booleans())
def test_generated_documents_read_as_json_reads_them(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    same_as_json(text.encode("utf-8", "surrogatepass"))
