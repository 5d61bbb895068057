#!/usr/bin/env python3
"""Writes the safetensors fixtures (test/safetensors/fixtures/).

Benign files hold real tensor bytes from torch (Debian's python3-torch) or numpy, laid out the
way the reference library writes them (8-byte little-endian header length, JSON header padded
with spaces to a multiple of 8, tensors packed in order). Invalid files break one rule each.
No safetensors package is needed.

Run: /usr/bin/python3 packages/scanner/test/safetensors/gen_fixtures.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")

try:
    import torch
except ImportError:  # numpy alone is enough for the byte layout
    torch = None
import numpy as np

ITEMSIZE = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}


def tensor_bytes():
    """name -> (dtype, shape, bytes)"""
    out = {}
    if torch is not None:
        g = torch.Generator().manual_seed(0)
        lin = torch.nn.Linear(4, 3)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(3, 4, generator=g))
            lin.bias.copy_(torch.randn(3, generator=g))
        out["linear.weight"] = ("F32", [3, 4], lin.weight.detach().numpy().tobytes())
        out["linear.bias"] = ("F32", [3], lin.bias.detach().numpy().tobytes())
        bf = torch.randn(2, 2, generator=g).to(torch.bfloat16)
        out["emb.bf16"] = ("BF16", [2, 2], bf.view(torch.int16).numpy().tobytes())
        out["emb.f16"] = ("F16", [5], torch.randn(5, generator=g).half().numpy().tobytes())
        out["counts"] = ("I64", [2, 3], torch.arange(6, dtype=torch.int64).reshape(2, 3).numpy().tobytes())
        out["mask"] = ("BOOL", [4], torch.tensor([True, False, True, True]).numpy().tobytes())
    else:
        rng = np.random.default_rng(0)
        out["linear.weight"] = ("F32", [3, 4], rng.standard_normal((3, 4), dtype=np.float32).tobytes())
        out["linear.bias"] = ("F32", [3], rng.standard_normal(3, dtype=np.float32).tobytes())
        out["emb.bf16"] = ("BF16", [2, 2], (rng.standard_normal(4, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16).tobytes())
        out["emb.f16"] = ("F16", [5], rng.standard_normal(5).astype(np.float16).tobytes())
        out["counts"] = ("I64", [2, 3], np.arange(6, dtype=np.int64).tobytes())
        out["mask"] = ("BOOL", [4], np.array([True, False, True, True]).tobytes())
    out["u8"] = ("U8", [3], np.array([1, 2, 255], dtype=np.uint8).tobytes())
    out["scalar"] = ("F64", [], np.array(3.5, dtype=np.float64).tobytes())
    out["empty"] = ("F32", [0, 4], b"")
    return out


def build(tensors, metadata=None, pad=True):
    """The library's layout: tensors sorted by name, packed; header padded to 8 bytes."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    return raw_file(json.dumps(header, separators=(",", ":")).encode(), data, pad)


def raw_file(header_bytes, data, pad=True, n=None):
    if pad:
        header_bytes += b" " * (-len(header_bytes) % 8)
    return struct.pack("<Q", len(header_bytes) if n is None else n) + header_bytes + data


def header_file(header, data):
    return raw_file(json.dumps(header).encode(), data)


def write(name, content):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(content)


def main():
    os.makedirs(OUT, exist_ok=True)
    t = tensor_bytes()
    # --- benign ---
    write("model.safetensors", build(t, {"format": "pt", "source": "gen_fixtures.py"}))
    write("no-metadata.safetensors", build({k: t[k] for k in ["linear.weight", "linear.bias"]}, None, pad=False))
    write("empty-header.safetensors", raw_file(b"{}", b"", pad=False))
    write("only-metadata.safetensors", build({}, {"format": "pt"}))
    w = t["linear.weight"]
    # --- invalid, one rule each ---
    write("header-too-large.safetensors", raw_file(b'{"a":1}', b"", pad=False, n=200_000_000))
    write("header-out-of-bounds.safetensors", raw_file(b'{"a":1}', b"", pad=False, n=4096))
    write("not-json.safetensors", raw_file(b"{this is not json}", b""))
    write("trailing-garbage.safetensors", raw_file(b'{"x":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}} garbage', b""))
    write("bad-utf8.safetensors", raw_file(b'{"\xff\xfe":1}', b""))
    write("deep-nesting.safetensors", raw_file(b'{"__metadata__":' + b"[" * 200 + b"]" * 200 + b"}", b""))
    dup = b'{"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]},"w":{"dtype":"F32","shape":[3,4],"data_offsets":[0,48]}}'
    write("duplicate-key.safetensors", raw_file(dup, w[2]))
    write("metadata-not-strings.safetensors", header_file({"__metadata__": {"format": "pt", "epoch": 3}, "w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}}, w[2]))
    write("missing-dtype.safetensors", header_file({"w": {"shape": [3, 4], "data_offsets": [0, 48]}}, w[2]))
    write("negative-shape.safetensors", header_file({"w": {"dtype": "F32", "shape": [-3, 4], "data_offsets": [0, 48]}}, w[2]))
    write("float-offsets.safetensors", header_file({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0.0, 48.0]}}, w[2]))
    write("reversed-offsets.safetensors", header_file({"w": {"dtype": "F32", "shape": [0], "data_offsets": [48, 0]}}, w[2]))
    write("unknown-dtype.safetensors", header_file({"w": {"dtype": "F128", "shape": [3], "data_offsets": [0, 48]}}, w[2]))
    write("shape-overflow.safetensors", header_file({"w": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 48]}}, w[2]))
    write("size-mismatch.safetensors", header_file({"w": {"dtype": "F32", "shape": [3, 5], "data_offsets": [0, 48]}}, w[2]))
    write("out-of-bounds.safetensors", header_file({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}, "v": {"dtype": "F32", "shape": [1000], "data_offsets": [48, 4048]}}, w[2]))
    write("overlap.safetensors", header_file({"a": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}, "b": {"dtype": "F32", "shape": [2, 4], "data_offsets": [16, 48]}}, w[2]))
    write("gap.safetensors", header_file({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}}, w[2][:24]))
    write("trailing-bytes.safetensors", header_file({"a": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]}}, w[2] + b"PAYLOAD!"))
    print("wrote", len(os.listdir(OUT)), "files to", OUT, "(torch)" if torch is not None else "(numpy)")


if __name__ == "__main__":
    main()
