"""Every transfer of every candidate mapping, stacked: one row per operand, level and direction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from fuseflow.cost.plan import Plan

Arr = NDArray[np.float64]


@dataclass(frozen=True)
class Stack:
    """The candidates of one or more jobs sharing a plan, one row per candidate (the jobs'
    candidates one after another), one column per (operand, level) of the plan."""

    seg: NDArray[np.int64]  # (R,) job of each candidate
    data: Arr  # (R, M) elements per instance
    data_int: Arr  # (R, M) the same under the integer spatial unrolling
    data_bits: Arr  # (R, M)
    period: Arr  # (R, M)
    top_ir: Arr  # (R, M)
    top_r: Arr  # (R, M)
    psum: NDArray[np.bool_]  # (R, M) partial sums above the level below (outputs only)
    mac_stationary: Arr  # (R, ops) cycles an input stays at the MAC (1 for outputs)
    boost: Arr  # (R, M) distinct-data fan-out of each level's own spatial loops
    boost_int: Arr  # (R, M)
    bits: NDArray[np.int64]  # (R, ops) precision (partial sums for outputs)
    final_bits: NDArray[np.int64]  # (R, ops)
    total: Arr  # (R,) iterations of all temporal loops


@dataclass(frozen=True)
class Transfers:
    """Periodic transfers of all candidates (rows: the plan's transfers, columns: candidates)."""

    amount: Arr  # (A, R) elements per period per instance
    bits: Arr  # (A, R) precision of those elements
    period: Arr  # (A, R) cycles
    count: Arr  # (A, R) periods over the whole tile
    real: Arr  # (A, R) cycles to move one period's data at the port bandwidth
    allowed: Arr  # (A, R) cycles the transfer may take without stalling the array
    first_bits: Arr  # (A, R) bits of the operand at its first memory level (loading floor)
    amount_int: Arr  # (A, R) amount under the integer spatial unrolling (timing uses it)


def double_buffered(plan: Plan, st: Stack) -> NDArray[np.bool_]:
    """(R, M): whether each (operand, level) can fill while being read: its effective data
    fits in the half of the memory, or in what the operands sharing that memory leave free.
    Operands claim the free half in the order O, W, I (ZigZag's, from ``O += W * I``)."""
    out = np.zeros(st.data.shape, dtype=bool)
    blocks = np.floor(st.data_bits / st.top_r)
    for cap, cols in plan.buffers:
        indiv = [blocks[:, m] / cap for m in cols]
        shared = np.sum(indiv, axis=0)
        for m, ind in zip(cols, indiv, strict=True):
            first = shared <= 0.5
            second = ~first & (ind <= 1.0 - shared)
            shared = shared + np.where(second, ind, 0.0)
            out[:, m] = first | second
    return out


def transfers(plan: Plan, st: Stack, db: NDArray[np.bool_]) -> Transfers:
    """Every transfer between adjacent levels (and into the array) of every operand.

    A level's data comes from the level below (``low``: the below-level's block times the
    fan-out of this level's spatial loops; 1 at the lowest level) or goes to the level above
    (``high``: its own block); outputs move partial sums only while a reduction remains."""
    n_rows = st.data.shape[0]
    ones = np.ones((n_rows, 1))
    below = plan.below
    low = np.concatenate([st.data, ones], axis=1)[:, below] * st.boost
    low_int = np.concatenate([st.data_int, ones], axis=1)[:, below] * st.boost_int
    # the lowest level's period: the MAC stationarity of inputs (1 for outputs)
    low_period = np.concatenate([st.period, st.mac_stationary], axis=1)[:, plan.low_period_col]
    db_below = np.concatenate([db, np.zeros((n_rows, 1), bool)], axis=1)[:, below]
    ir_below = np.concatenate([st.top_ir, ones], axis=1)[:, below]
    low_window = np.where(db_below, low_period, np.floor(low_period / ir_below))
    high_window = np.where(db, st.period, np.floor(st.period / st.top_ir))
    psum_above = np.concatenate([st.psum, np.zeros((n_rows, 1), bool)], axis=1)[:, plan.above]
    col_op = plan.col_op
    prec = np.where(
        plan.col_is_output[None, :],
        np.where(st.psum, st.bits[:, col_op], st.final_bits[:, col_op]),
        st.bits[:, col_op],
    ).astype(float)
    prec_above = prec[:, np.minimum(plan.above, plan.n_cols - 1)]
    amounts = np.concatenate([low, low * st.psum, st.data, st.data * psum_above], axis=1)
    amounts_int = np.concatenate(
        [low_int, low_int * st.psum, st.data_int, st.data_int * psum_above], axis=1
    )
    amount = _rows(amounts, plan.amount_col)
    amount_int = _rows(amounts_int, plan.amount_col)
    bits = _rows(np.concatenate([prec, prec_above], axis=1), plan.bits_col)
    side = plan.row_col + plan.n_cols * plan.high_side
    period = _rows(np.concatenate([low_period, st.period], axis=1), side)
    window = _rows(np.concatenate([low_window, high_window], axis=1), side)
    first_col = np.array(plan.first_col)
    first = st.data_int[:, first_col] * st.data_bits[:, first_col] / st.data[:, first_col]
    first_bits = _rows(first, plan.row_op)
    count = np.where(amount > 0, np.floor(st.total / period + 1e-9), 0.0)
    real = np.ceil(amount_int * bits / plan.bw_bits - 1e-9)
    return Transfers(amount, bits, period, count, real, window, first_bits, amount_int)


def _rows(bank: Arr, cols: NDArray[np.int64]) -> Arr:
    """``bank[:, cols]`` transposed to (rows, candidates), C-contiguous."""
    return np.ascontiguousarray(bank[:, cols].T)


def energy_parts(plan: Plan, tr: Transfers, units: Arr) -> Arr:
    """Memory energy per (operand, level) part of the plan over all candidates, ``(K, R)``;
    ``units``: ``(A, R)`` instances of each transfer's memory level."""
    g_col = plan.gran_bits
    words = np.ceil(tr.amount * tr.bits / g_col - 1e-9) * g_col / plan.bw_bits
    energy = words * tr.count * units * plan.per_word_pj
    # added row by row in order (as a running sum would; a reduction may pair them otherwise),
    # parts with fewer rows padded with an all-zero row at the end
    padded = np.concatenate([energy, np.zeros((1, energy.shape[1]))])[plan.part_rows]
    total = padded[:, 0]
    for j in range(1, padded.shape[1]):
        total = total + padded[:, j]
    return np.ascontiguousarray(total)
