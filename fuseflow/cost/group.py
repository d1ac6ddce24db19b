"""The loop nests of several jobs searched together: their loop orders one after another."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.nest import Nest, OperandNest
from fuseflow.hardware.model import MemoryLevel
from fuseflow.workload.layer import Role

T = TypeVar("T")


@dataclass(eq=False)
class Group:
    """Nests whose operands have the same roles and memory hierarchies and whose orders have
    the same number of loops. Rows are the jobs' loop orders, job after job; loop sets are
    numbered across the jobs (each job's sets after the previous job's)."""

    nests: tuple[Nest, ...]
    row_start: NDArray[np.int64]  # (J+1,) first row of each job
    row_job: NDArray[np.int64]  # (R,)
    set_job: NDArray[np.int64]  # (S,)
    loop_set: NDArray[np.int64]  # (R, n+1) set below each position, numbered across jobs
    total: NDArray[np.float64]  # (R, n+1) product of the loops below each position
    perm_dim: NDArray[np.int64]  # (R, n) dim index of each loop
    perm_size: NDArray[np.int64]  # (R, n) loop size
    memo: dict[Any, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, nests: list[Nest]) -> Group:
        """The group of ``nests`` (same operand hierarchies and loop count: see
        :func:`group_key`)."""
        rows = [n.perm_dim.shape[0] for n in nests]
        sets = [n.set_cum.shape[0] for n in nests]
        set_start = np.cumsum([0, *sets])
        return cls(
            nests=tuple(nests),
            row_start=np.cumsum([0, *rows]).astype(np.int64),
            row_job=np.repeat(np.arange(len(nests)), rows),
            set_job=np.repeat(np.arange(len(nests)), sets),
            loop_set=np.concatenate(
                [n.loop_set + s for n, s in zip(nests, set_start[:-1], strict=True)]
            ),
            total=np.concatenate([n.total for n in nests]),
            perm_dim=np.concatenate([n.perm_dim for n in nests]),
            perm_size=np.concatenate([n.perm_size for n in nests]),
        )

    @property
    def n_rows(self) -> int:
        return int(self.row_start[-1])

    @property
    def n_loops(self) -> int:
        return self.loop_set.shape[1] - 1

    @property
    def operands(self) -> tuple[OperandNest, ...]:
        """The first job's operands (their roles and memory levels are every job's)."""
        return self.nests[0].operands

    def _cached(self, key: Any, make: Callable[[], T]) -> T:
        """``make()`` once per key; later calls return the stored value."""
        got: T | None = self.memo.get(key)
        if got is None:
            got = self.memo[key] = make()
        return got

    def ops(self, role: Role) -> list[OperandNest]:
        """Each job's operand ``role``."""
        return self._cached(
            ("ops", role),
            lambda: [next(op for op in n.operands if op.role == role) for n in self.nests],
        )

    def per_job(self, role: Role, attr: str) -> NDArray:
        """(J, ...) an attribute of each job's operand ``role``."""
        return self._cached(
            ("job", role, attr), lambda: np.array([getattr(op, attr) for op in self.ops(role)])
        )

    def per_row(self, role: Role, attr: str) -> NDArray:
        """(R, ...) an attribute of each job's operand ``role``, per row."""
        return self._cached(("row", role, attr), lambda: self.per_job(role, attr)[self.row_job])

    def table(self, role: Role, lv: int, *, integer: bool = False) -> NDArray[np.float64]:
        """(S,) :meth:`Nest.set_footprint` of every job, one after another."""

        def make() -> NDArray[np.float64]:
            pairs = zip(self.nests, self.ops(role), strict=True)
            return np.concatenate(  # whole spatial factors: the same numbers
                [n.set_footprint(op, lv, integer=integer and not op.int_spatial) for n, op in pairs]
            )

        return self._cached(("table", role, lv, integer), make)

    def marks(self, role: Role | None, of: str, *, after: bool) -> NDArray[np.int64]:
        """(R, n+1) :meth:`Nest.next_mark` (or ``after_mark``) of each job, of the dims the
        operand ``role`` depends on (``of='relevant'``), those not alone indexing one of its
        axes (``'partial'``) or the reduction dims (``role`` None)."""

        def make() -> NDArray[np.int64]:
            parts = []
            for j, n in enumerate(self.nests):
                if role is None:
                    mask = n.reduction
                else:
                    op = self.ops(role)[j]
                    mask = op.relevant if of == "relevant" else ~op.strict_r
                parts.append(n.after_mark(mask) if after else n.next_mark(mask))
            return np.concatenate(parts)

        return self._cached(("marks", role, of, after), make)

    def set_ratio(self) -> NDArray[np.float64]:
        """(S,) per loop set: all loops' iterations over those inside it (whole numbers)."""
        return self._cached(
            "ratio",
            lambda: np.concatenate([n.total[0, -1] / n.set_cum.prod(axis=1) for n in self.nests]),
        )

    def first_rows(self) -> NDArray[np.int64]:
        """(J,) each job's first row."""
        return self.row_start[:-1]


def group_key(nest: Nest, physical: tuple[MemoryLevel, ...]) -> tuple[object, ...]:
    """Jobs with equal keys can be searched together."""
    return (
        tuple((op.role, tuple(map(id, op.levels))) for op in nest.operands),
        tuple(map(id, physical)),
        nest.perm_dim.shape[1],
    )
