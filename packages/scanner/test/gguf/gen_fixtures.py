#!/usr/bin/env python3
"""Writes the GGUF fixtures (test/gguf/fixtures/) with struct, no gguf package.

A valid file follows the GGUF v3 layout llama.cpp writes: magic, version, u64 tensor and
metadata counts, key/value pairs (u64-length strings), tensor infos, padding to
general.alignment, tensor data packed in order (each tensor padded to the alignment). Tensor bytes
are real numpy arrays (F32, F16) and a hand-quantized Q8_0 block. Invalid files break one rule each.

Run: python3 packages/scanner/test/gguf/gen_fixtures.py
"""
import json
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
JINJA = os.path.join(HERE, "..", "jinja", "fixtures")

U8, I8, U16, I16, U32, I32, F32, BOOL, STRING, ARRAY, U64, I64, F64 = range(13)
FMT = {U8: "B", I8: "b", U16: "H", I16: "h", U32: "I", I32: "i", F32: "f", BOOL: "?", U64: "Q", I64: "q", F64: "d"}
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8


class W:
    def __init__(self, version=3, endian="<"):
        self.v = version
        self.e = endian
        self.kvs = []
        self.tensors = []  # (name, dims, type, data, offset override)
        self.alignment = 32

    def n(self, x):  # count/length field
        return struct.pack(self.e + ("I" if self.v == 1 else "Q"), x)

    def s(self, text):
        b = text.encode() if isinstance(text, str) else text
        return self.n(len(b)) + b

    def kv(self, key, vtype, value, raw=None):
        self.kvs.append(self.s(key) + struct.pack(self.e + "I", vtype) + (raw if raw is not None else self.val(vtype, value)))

    def val(self, vtype, value):
        if vtype == STRING:
            return self.s(value)
        if vtype == ARRAY:
            et, items = value
            return struct.pack(self.e + "I", et) + self.n(len(items)) + b"".join(self.val(et, x) for x in items)
        return struct.pack(self.e + FMT[vtype], value)

    def tensor(self, name, dims, ttype, data, offset=None):
        self.tensors.append((name, dims, ttype, data, offset))

    def build(self, kv_count=None, tensor_count=None, pad_data=True):
        head = b"GGUF" + struct.pack(self.e + "I", self.v)
        head += self.n(len(self.tensors) if tensor_count is None else tensor_count)
        head += self.n(len(self.kvs) if kv_count is None else kv_count)
        body = b"".join(self.kvs)
        infos = b""
        offset = 0
        blobs = []
        for name, dims, ttype, data, off in self.tensors:
            o = offset if off is None else off
            infos += self.s(name) + struct.pack(self.e + "I", len(dims)) + b"".join(self.n(d) if self.v == 1 else struct.pack(self.e + "Q", d) for d in dims)
            infos += struct.pack(self.e + "I", ttype) + struct.pack(self.e + "Q", o)
            blobs.append((o, data))
            offset += len(data) + (-len(data) % self.alignment)
        out = head + body + infos
        out += b"\0" * (-len(out) % self.alignment)
        start = len(out)
        data = bytearray()
        for o, blob in blobs:
            if not blob:
                continue
            end = o + len(blob)
            if len(data) < end:
                data += b"\0" * (end - len(data))
            data[o:end] = blob
        if pad_data:
            data += b"\0" * (-len(data) % self.alignment)
        return out + bytes(data), start


def template(name):
    with open(os.path.join(JINJA, name), encoding="utf-8") as f:
        return f.read()


def base(version=3, endian="<", chat=None, extra=None):
    w = W(version, endian)
    w.kv("general.architecture", STRING, "llama")
    w.kv("general.name", STRING, "steward-fixture")
    w.kv("general.alignment", U32, 32)
    w.kv("llama.context_length", U32, 2048)
    w.kv("llama.rope.freq_base", F32, 10000.0)
    w.kv("tokenizer.ggml.model", STRING, "gpt2")
    w.kv("tokenizer.ggml.tokens", ARRAY, (STRING, ["<s>", "</s>", "hello", "{{", "}}", "world"]))
    w.kv("tokenizer.ggml.scores", ARRAY, (F32, [0.0, 0.0, -1.5, -2.0, -2.0, -3.25]))
    w.kv("tokenizer.ggml.token_type", ARRAY, (I32, [3, 3, 1, 1, 1, 1]))
    w.kv("general.tags", ARRAY, (ARRAY, [(STRING, ["a", "b"]), (STRING, ["c"])]))
    w.kv("general.flag", BOOL, True)
    w.kv("general.big", U64, 2**40)
    w.kv("general.neg", I64, -5)
    w.kv("general.pi", F64, 3.14159)
    if chat is not None:
        w.kv("tokenizer.chat_template", STRING, chat)
    for k, t, v in extra or []:
        w.kv(k, t, v)
    rng = np.random.default_rng(0)
    w.tensor("token_embd.weight", [4, 6], GGML_F32, rng.standard_normal((6, 4), dtype=np.float32).tobytes())
    w.tensor("output_norm.weight", [4], GGML_F16, rng.standard_normal(4).astype(np.float16).tobytes())
    # One Q8_0 block: f16 scale + 32 int8 quants.
    q = np.clip(np.round(rng.standard_normal(32) * 40), -127, 127).astype(np.int8)
    w.tensor("blk.0.attn_q.weight", [32, 1], GGML_Q8_0, np.float16(0.025).tobytes() + q.tobytes())
    return w


def write(name, content):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(content)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}

    def emit(name, w_or_bytes, rule=None, **kw):
        b = w_or_bytes if isinstance(w_or_bytes, (bytes, bytearray)) else w_or_bytes.build(**kw)[0]
        write(name, bytes(b))
        expected[name] = rule

    # --- benign ---
    emit("model.gguf", base(chat=template("llama3.jinja")))
    w = base(chat=template("chatml.jinja"), extra=[("tokenizer.chat_template.tool_use", STRING, template("qwen25-tools.jinja")), ("tokenizer.chat_templates", ARRAY, (STRING, ["tool_use"]))])
    emit("named-templates.gguf", w)
    emit("no-template.gguf", base())
    emit("big-endian.gguf", base(endian=">", chat=template("gemma.jinja")))
    emit("v2.gguf", base(version=2, chat=template("zephyr.jinja")))
    emit("v1.gguf", base(version=1, chat=template("phi3.jinja")), "gguf.legacy-version")
    # --- malicious templates ---
    emit("cve-2024-34359.gguf", base(chat=template("cve-2024-34359.jinja")), "template.dunder-attribute")
    w = base(chat=template("chatml.jinja"), extra=[("tokenizer.chat_template.rag", STRING, template("attr-concat.jinja"))])
    emit("named-malicious.gguf", w, "template.dunder-attribute")
    emit("template-syntax-error.gguf", base(chat="{% for m in messages %}{{ m }}"), "template.syntax-error")
    emit("template-not-string.gguf", base(extra=[("tokenizer.chat_template", U32, 7)]), "gguf.chat-template-type")
    # --- structural ---
    good, _ = base().build()
    bad = bytearray(good)
    struct.pack_into("<I", bad, 4, 7)
    emit("unsupported-version.gguf", bad, "gguf.unsupported-version")
    emit("truncated.gguf", good[: len(good) // 3], "gguf.truncated")
    emit("kv-count-bomb.gguf", base(), "gguf.allocation-bomb", kv_count=2**60)
    emit("tensor-count-bomb.gguf", base(), "gguf.allocation-bomb", tensor_count=2**62)
    w = base()
    w.kvs.append(w.n(2**50) + b"x")  # a key whose length cannot fit
    emit("string-bomb.gguf", w, "gguf.allocation-bomb")
    w = base()
    w.kvs.append(w.s("tokenizer.ggml.merges") + struct.pack("<I", ARRAY) + struct.pack("<I", STRING) + w.n(2**61))
    emit("array-bomb.gguf", w, "gguf.allocation-bomb")
    w = base()
    w.kv("k" * 70000, U32, 1)
    emit("key-too-long.gguf", w, "gguf.key-too-long")
    w = base()
    w.kv("general.weird", 99, None, raw=b"\0" * 8)
    emit("invalid-value-type.gguf", w, "gguf.invalid-value-type")
    w = base()
    nested = struct.pack("<I", U32) + w.n(1) + struct.pack("<I", 1)
    for _ in range(20):
        nested = struct.pack("<I", ARRAY) + w.n(1) + nested
    w.kv("general.nested", ARRAY, None, raw=nested)
    emit("array-nesting.gguf", w, "gguf.array-nesting")
    w = base(chat=template("chatml.jinja"))
    w.kv("tokenizer.chat_template", STRING, template("cycler-globals.jinja"))
    emit("duplicate-key.gguf", w, "gguf.duplicate-key")
    for name, vtype, value in [("alignment-zero.gguf", U32, 0), ("alignment-not-pow2.gguf", U32, 48), ("alignment-wrong-type.gguf", U64, 32)]:
        w = base()
        w.kvs = [kv for kv in w.kvs if b"general.alignment" not in kv[:40]]
        w.kv("general.alignment", vtype, value)
        emit(name, w, "gguf.invalid-alignment")
    w = base()
    w.tensor("blk.0.five_dims", [1, 1, 1, 1, 1], GGML_F32, b"\0" * 4)
    emit("too-many-dims.gguf", w, "gguf.too-many-dims")
    w = base()
    w.tensor("blk.0.huge", [2**32, 2**32], GGML_F32, b"", offset=0)
    emit("dims-overflow.gguf", w, "gguf.dims-overflow")
    w = base()
    w.tensor("blk.0.future", [4], 99, b"\0" * 16)
    emit("unknown-tensor-type.gguf", w, "gguf.unknown-tensor-type")
    w = base()
    w.tensor("blk.0.partial_block", [33], GGML_Q8_0, b"\0" * 68)
    emit("block-size-mismatch.gguf", w, "gguf.block-size-mismatch")
    w = base()
    w.tensor("token_embd.weight", [4], GGML_F32, b"\0" * 16)
    emit("duplicate-tensor.gguf", w, "gguf.duplicate-tensor")
    w = base()
    w.tensor("t" * 80, [4], GGML_F32, b"\0" * 16)
    emit("tensor-name-too-long.gguf", w, "gguf.tensor-name-too-long")
    w = base()
    w.tensor("blk.0.misaligned", [4], GGML_F32, b"\0" * 16, offset=200)
    emit("misaligned-offset.gguf", w, "gguf.misaligned-offset")
    w = base()
    w.tensor("blk.0.far", [4], GGML_F32, b"", offset=1 << 40)
    emit("tensor-out-of-bounds.gguf", w, "gguf.tensor-out-of-bounds")
    w = base()
    w.tensor("blk.0.overlap", [4], GGML_F32, b"\1" * 16, offset=0)
    emit("tensor-overlap.gguf", w, "gguf.tensor-overlap")
    w = base()
    w.tensor("blk.0.after_gap", [4], GGML_F32, b"\1" * 16, offset=4096)
    emit("data-gap.gguf", w, "gguf.data-gap")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")
    print("wrote", len(expected), "GGUF fixtures")


if __name__ == "__main__":
    main()
