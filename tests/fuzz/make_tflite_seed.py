#!/usr/bin/env python3
"""Write a tiny but complete .tflite model (about 1 KB) for the fuzz seed corpus.

The real models are 0.2-2.5 MB, so random mutations mostly land in weights; this seed has
every structure the reader decodes in a few hundred bytes: operator codes (old and new
builtin code fields, a custom op), a constant with quantization parameters, an external
buffer (offset/size), and ops with Conv2D, Reshape (new_shape), ResizeBilinear and custom
options. No flatbuffers package is needed: a small forward writer lays objects out in
order (a parent before its children, so every uoffset points forward) and patches refs.

usage: make_tflite_seed.py OUT_FILE
"""
import struct
import sys

FMT = {"u8": "<B", "i8": "<b", "i32": "<i", "u32": "<I", "u64": "<Q", "i64": "<q", "f32": "<f"}


class Writer:
    def __init__(self):
        self.buf = bytearray(b"\0\0\0\0TFL3")

    def align(self, n, extra=0):
        while (len(self.buf) + extra) % n:
            self.buf += b"\0"

    def patch_ref(self, at, target):
        struct.pack_into("<I", self.buf, at, target - at)

    def table(self, fields):
        """fields: list of (id, kind, value); kind "ref" takes a function that writes the
        child object and returns its position."""
        inline, off = [], 4
        for fid, kind, value in fields:
            size = 4 if kind == "ref" else struct.calcsize(FMT[kind])
            off = (off + size - 1) // size * size
            inline.append((fid, kind, value, off, size))
            off += size
        n_slots = max([f[0] for f in fields] + [-1]) + 1
        vt_size, tbl_size = 4 + 2 * n_slots, (off + 3) // 4 * 4
        self.align(2)
        vt = len(self.buf)
        slots = [0] * n_slots
        for fid, _, _, o, _ in inline:
            slots[fid] = o
        self.buf += struct.pack("<HH" + "H" * n_slots, vt_size, tbl_size, *slots)
        self.align(8)  # table start 8-aligned so u64 fields are aligned too
        pos = len(self.buf)
        body = bytearray(tbl_size)
        struct.pack_into("<i", body, 0, pos - vt)
        for _, kind, value, o, _ in inline:
            if kind != "ref":
                struct.pack_into(FMT[kind], body, o, value)
        self.buf += body
        for _, kind, value, o, _ in inline:
            if kind == "ref":
                self.patch_ref(pos + o, value())
        return pos

    def vector(self, kind, values):
        size = struct.calcsize(FMT[kind])
        self.align(max(size, 4), 4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(values))
        for v in values:
            self.buf += struct.pack(FMT[kind], v)
        return pos

    def string(self, s):
        self.align(4)
        pos = len(self.buf)
        data = s.encode()
        self.buf += struct.pack("<I", len(data)) + data + b"\0"
        return pos

    def tables(self, makers):
        self.align(4)
        pos = len(self.buf)
        self.buf += struct.pack("<I", len(makers)) + bytes(4 * len(makers))
        for i, make in enumerate(makers):
            self.patch_ref(pos + 4 + 4 * i, make())
        return pos


def build():
    w = Writer()
    ref = lambda f: ("ref", f)  # noqa: E731

    def opcode(dep, builtin, custom=None):
        fields = [(0, "i8", dep), (2, "i32", 1), (3, "i32", builtin)]
        if custom:
            fields.append((1, "ref", lambda: w.string(custom)))
        return lambda: w.table(fields)

    def tensor(name, shape, buffer=0, quant=False, type_=0):
        fields = [(0, "ref", lambda: w.vector("i32", shape)), (1, "i8", type_),
                  (2, "u32", buffer), (3, "ref", lambda: w.string(name))]
        if quant:
            fields.append((4, "ref", lambda: w.table([
                (2, "ref", lambda: w.vector("f32", [0.5])),
                (3, "ref", lambda: w.vector("i64", [0]))])))
        return lambda: w.table(fields)

    def op(code_idx, ins, outs, opt_type=0, opt=None, custom=None):
        fields = [(0, "u32", code_idx), (1, "ref", lambda: w.vector("i32", ins)),
                  (2, "ref", lambda: w.vector("i32", outs)), (3, "u8", opt_type)]
        if opt is not None:
            fields.append((4, "ref", lambda: w.table(opt)))
        if custom is not None:
            fields.append((5, "ref", lambda: w.vector("u8", custom)))
        return lambda: w.table(fields)

    external = {}

    def external_buffer():
        external["pos"] = w.table([(1, "u64", 0), (2, "u64", 4)])  # offset patched below
        return external["pos"]

    conv = [(0, "i8", 1), (1, "i32", 1), (2, "i32", 1), (3, "i8", 1)]
    model = w.table([
        (0, "u32", 3),
        (1, "ref", lambda: w.tables([opcode(3, 3), opcode(22, 0), opcode(23, 23),
                                     opcode(32, 32, "Landmarks2TransformMatrix"),
                                     opcode(127, 130)])),
        (2, "ref", lambda: w.tables([lambda: w.table([
            (0, "ref", lambda: w.tables([
                tensor("input", [1, 4, 4, 1]), tensor("w", [1, 1, 1, 1], 1, quant=True),
                tensor("b", [1], 2), tensor("conv", [1, 4, 4, 1]),
                tensor("flat", [1, 16]), tensor("size", [2], 3, type_=2),
                tensor("big", [1, 8, 8, 1]), tensor("custom", [1, 4, 4])])),
            (1, "ref", lambda: w.vector("i32", [0])),
            (2, "ref", lambda: w.vector("i32", [4, 7])),
            (3, "ref", lambda: w.tables([
                op(0, [0, 1, 2], [3], 1, conv),
                op(1, [3], [4], 17, [(0, "ref", lambda: w.vector("i32", [1, 16]))]),
                op(2, [3, 5], [6], 15, [(2, "u8", 0), (3, "u8", 1)]),
                op(3, [4, -1], [7], 0, None, list(b"\x01\x02\x03")),
                op(4, [6], [6])])),
            (4, "ref", lambda: w.string("main"))])])),
        (3, "ref", lambda: w.string("fuzz seed")),
        (4, "ref", lambda: w.tables([
            lambda: w.table([]),
            lambda: w.table([(0, "ref", lambda: w.vector("u8", struct.pack("<f", 2.0)))]),
            external_buffer,
            lambda: w.table([(0, "ref", lambda: w.vector("u8", struct.pack("<ii", 8, 8)))])])),
    ])
    struct.pack_into("<I", w.buf, 0, model)
    # Bias bytes stored outside the FlatBuffer, as >2 GB models do (Buffer.offset/size).
    w.align(16)
    struct.pack_into("<Q", w.buf, external["pos"] + 8, len(w.buf))
    w.buf += struct.pack("<f", 0.25)
    return bytes(w.buf)


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(build())
