"""The log of transfers of one schedule run (struct of lists) and the energy it accumulates."""

from __future__ import annotations

import numpy as np

from fuseflow.schedule.types import TransferKind

FETCH_KINDS = (TransferKind.WEIGHT_FETCH, TransferKind.INPUT_FETCH, TransferKind.REFETCH)


class TransferLog:
    """Every transfer of a run, appended in creation order; converted to arrays at the end."""

    __slots__ = (
        "bits",
        "bw",
        "dst",
        "end",
        "kind",
        "res",
        "res_ptr",
        "src",
        "start",
        "tensor",
        "tensor_kind",
    )

    def __init__(self) -> None:
        self.kind: list[int] = []
        self.tensor_kind: list[int] = []
        self.tensor: list[int] = []
        self.src: list[int] = []
        self.dst: list[int] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.bits: list[int] = []
        self.bw: list[float] = []
        self.res: list[int] = []
        self.res_ptr: list[int] = [0]

    def add(
        self,
        kind: int,
        tensor_kind: int,
        tensor: int,
        src: int,
        dst: int,
        start: int,
        end: int,
        bits: int,
        bw: float,
        resources: tuple[int, ...],
    ) -> int:
        self.kind.append(kind)
        self.tensor_kind.append(tensor_kind)
        self.tensor.append(tensor)
        self.src.append(src)
        self.dst.append(dst)
        self.start.append(start)
        self.end.append(end)
        self.bits.append(bits)
        self.bw.append(bw)
        self.res.extend(resources)
        self.res_ptr.append(len(self.res))
        return len(self.kind) - 1

    def resources_of(self, i: int) -> list[int]:
        return self.res[self.res_ptr[i] : self.res_ptr[i + 1]]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "tr_kind": np.asarray(self.kind, dtype=np.int8),
            "tr_tensor_kind": np.asarray(self.tensor_kind, dtype=np.int8),
            "tr_tensor": np.asarray(self.tensor, dtype=np.int64),
            "tr_src": np.asarray(self.src, dtype=np.int32),
            "tr_dst": np.asarray(self.dst, dtype=np.int32),
            "tr_start": np.asarray(self.start, dtype=np.int64),
            "tr_end": np.asarray(self.end, dtype=np.int64),
            "tr_bits": np.asarray(self.bits, dtype=np.int64),
            "tr_bw_bits": np.asarray(self.bw, dtype=np.float64),
            "tr_res_ptr": np.asarray(self.res_ptr, dtype=np.int64),
            "tr_res": np.asarray(self.res, dtype=np.int32),
        }
