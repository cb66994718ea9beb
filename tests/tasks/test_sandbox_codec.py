"""The wire format between candidate and harness carries builtin data only: what arrives is
plain values (never the candidate's objects), exactly, and malformed input is refused."""

from __future__ import annotations

import json
import math
import os

import pytest

from greenbench.tasks.runners import codec


def roundtrip(value):
    return codec.decode(codec.dumps(value))


def test_values_roundtrip_exactly_with_their_types():
    value = [1, -(10**40), 0.1, "é\x00", b"\xff", None, True, (1, (2,)), {1: "a", (2, 3): [4]}]
    value += [{frozenset({1})}, frozenset({"x"})]
    back = roundtrip(value)
    assert back == value and [type(v) for v in back] == [type(v) for v in value]
    assert roundtrip(1e308 * 10) == math.inf and math.isnan(roundtrip(math.nan))


def test_subclasses_arrive_as_their_plain_base_value():
    class AlwaysEqual(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    class Shout(str):
        def __str__(self):
            return "LOUD"

    back = roundtrip([AlwaysEqual(1), Shout("quiet")])
    assert back == [1, "quiet"] and type(back[0]) is int and type(back[1]) is str
    assert back[0] != 2


def test_numpy_values_arrive_as_plain_python():
    np = pytest.importorskip("numpy")
    back = roundtrip([np.int64(3), np.float32(0.5), np.array([[1, 2]])])
    assert back == [3, 0.5, [[1, 2]]] and type(back[0]) is int


@pytest.mark.parametrize("value", [object(), len, 1j, iter([])])
def test_other_objects_are_refused(value):
    with pytest.raises(ValueError, match="cannot pass"):
        codec.dumps(value)


def test_nesting_is_bounded():
    deep: list = []
    for _ in range(codec.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        codec.dumps(deep)


@pytest.mark.parametrize(
    "payload",
    [
        {"passed": True},  # a bare object is not a value
        {"t": 1},
        {"s": [[1]]},  # an unhashable set member
        {"d": [[1]]},
        {"zz": []},
    ],
)
def test_malformed_payloads_are_refused(payload):
    with pytest.raises((ValueError, TypeError)):
        codec.decode(json.dumps(payload))


def test_frames_roundtrip_and_oversized_ones_are_refused():
    read, write = os.pipe()
    try:
        codec.write_frame(write, b"[1,2]")
        assert codec.read_frame(read) == b"[1,2]"
        os.write(write, (codec.MAX_FRAME + 1).to_bytes(4, "big"))
        with pytest.raises(ValueError, match="exceeds"):
            codec.read_frame(read)
    finally:
        os.close(write)
    with pytest.raises(EOFError):
        codec.read_frame(read)
    os.close(read)
