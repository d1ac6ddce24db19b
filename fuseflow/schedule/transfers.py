"""The log of transfers of one schedule run (struct of lists) and the energy it accumulates."""

from __future__ import annotations

from typing import Final

import numpy as np

from fuseflow.schedule.types import TransferKind

FETCH_KINDS = (TransferKind.WEIGHT_FETCH, TransferKind.INPUT_FETCH, TransferKind.REFETCH)


class TransferLog:
    """Every transfer of a run, appended in creation order; converted to arrays at the end.

    ``rows[i]`` is (kind, tensor_kind, tensor, src, dst, start, end, bits, bw) of transfer i;
    its resources are ``res[res_ptr[i]:res_ptr[i + 1]]``.
    """

    __slots__ = ("res", "res_ptr", "rows")

    def __init__(self) -> None:
        self.rows: list[Row] = []
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
        rows = self.rows
        rows.append((kind, tensor_kind, tensor, src, dst, start, end, bits, bw))
        res = self.res
        if resources:
            res += resources
        self.res_ptr.append(len(res))
        return len(rows) - 1

    def resources_of(self, i: int) -> list[int]:
        return self.res[self.res_ptr[i] : self.res_ptr[i + 1]]

    def arrays(self) -> dict[str, np.ndarray]:
        table = np.fromiter(self.rows, dtype=list(_COLUMNS), count=len(self.rows))
        out = {name: np.ascontiguousarray(table[name]) for name, _ in _COLUMNS}
        out["tr_res_ptr"] = np.asarray(self.res_ptr, dtype=np.int64)
        out["tr_res"] = np.asarray(self.res, dtype=np.int32)
        return out


Row = tuple[int, int, int, int, int, int, int, int, float]
# fields of a row
SRC: Final = 3
START: Final = 5
END: Final = 6
BITS: Final = 7
BW: Final = 8
_COLUMNS = (
    ("tr_kind", np.int8),
    ("tr_tensor_kind", np.int8),
    ("tr_tensor", np.int64),
    ("tr_src", np.int32),
    ("tr_dst", np.int32),
    ("tr_start", np.int64),
    ("tr_end", np.int64),
    ("tr_bits", np.int64),
    ("tr_bw_bits", np.float64),
)
