"""Checkpoint files: atomic, checksummed, loadable without unpickling arbitrary code.

A checkpoint file is ``MAGIC`` + the SHA-256 of the payload + the payload's length
(8 bytes, little endian) + the payload, which is ``torch.save`` of a dict of tensors,
numbers, strings, lists and dicts (read back with ``torch.load(weights_only=True)``).
It is written to a temporary sibling and renamed into place, so a crash never leaves
half a checkpoint; a truncated or altered file fails its length or checksum test and
is refused with one line.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lossbalance._atomic import atomic_path
from lossbalance._errors import LossbalanceError

MAGIC = b"LOSSBALANCE-CKPT\x01"
FORMAT_VERSION = 1


def checkpoint_bytes(payload: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint file holding ``payload``."""
    buf = io.BytesIO()
    torch.save({"format_version": FORMAT_VERSION, **payload}, buf)
    data = buf.getvalue()
    return MAGIC + hashlib.sha256(data).digest() + len(data).to_bytes(8, "little") + data


def write_checkpoint(path: str | os.PathLike[str], blob: bytes) -> Path:
    """Write checkpoint bytes atomically (temporary file, then rename)."""
    out = Path(path)
    with atomic_path(out) as tmp:
        tmp.write_bytes(blob)
    return out


def save_checkpoint(path: str | os.PathLike[str], payload: dict[str, Any]) -> Path:
    """Write ``payload`` as a checkpoint file at ``path`` atomically."""
    return write_checkpoint(path, checkpoint_bytes(payload))


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a checkpoint, refusing missing, truncated, corrupted or foreign files."""
    src = Path(path)
    if not src.is_file():
        raise LossbalanceError(f"{src}: checkpoint not found")
    raw = src.read_bytes()
    head = len(MAGIC) + 32 + 8
    if not raw.startswith(MAGIC):
        raise LossbalanceError(f"{src}: not a lossbalance checkpoint (bad header)")
    if len(raw) < head:
        raise LossbalanceError(f"{src}: checkpoint is truncated")
    digest = raw[len(MAGIC) : len(MAGIC) + 32]
    size = int.from_bytes(raw[len(MAGIC) + 32 : head], "little")
    data = raw[head:]
    if len(data) != size:
        raise LossbalanceError(
            f"{src}: checkpoint is truncated or padded ({len(data)} of {size} payload bytes)"
        )
    if hashlib.sha256(data).digest() != digest:
        raise LossbalanceError(f"{src}: checkpoint is corrupted (checksum mismatch)")
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # unreadable despite a good checksum: a foreign writer
        raise LossbalanceError(
            f"{src}: checkpoint payload unreadable ({type(exc).__name__})"
        ) from None
    version = payload.get("format_version") if isinstance(payload, dict) else None
    if version != FORMAT_VERSION:
        raise LossbalanceError(f"{src}: checkpoint format {version}, expected {FORMAT_VERSION}")
    return payload


def rng_state() -> dict[str, Any]:
    """torch (CPU and CUDA), numpy (global) and python ``random`` states, as plain data."""
    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    version, internal, py_gauss = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": [
            str(kind),
            torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            int(pos),
            int(has_gauss),
            float(gauss),
        ],
        "python": [int(version), list(internal), py_gauss],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.set_rng_state(state["torch"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, gauss))
    version, internal, py_gauss = state["python"]
    random.setstate((version, tuple(internal), py_gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
