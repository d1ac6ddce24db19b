"""A stand-in evaluator for tests: list scheduling with transfers and a serial DRAM port."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from fuseflow.hardware.topology import build_topology
from fuseflow.search.evaluate import Evaluator
from fuseflow.search.problem import AllocationProblem


def standin_evaluator(problem: AllocationProblem) -> Evaluator:
    """CNs in priority order on their cores; inputs wait for transfers; DRAM is one port."""
    graph, costs, acc = problem.graph, problem.costs, problem.acc
    topo = build_topology(acc)
    order = np.argsort(graph.priority, kind="stable")
    dram = acc.dram
    bw = min(dram.read_bw_bits, dram.write_bw_bits)

    def evaluate(allocation: NDArray[np.int32]) -> tuple[int, float]:
        core_of = np.asarray(allocation)[graph.group]
        core_free = np.zeros(len(acc.cores))
        end = np.zeros(graph.n)
        dram_free, energy = 0.0, 0.0
        fetched: set[tuple[int, int]] = set()
        for cn in order.tolist():
            c = int(core_of[cn])
            ready = 0.0
            w = int(graph.weight[cn])
            if w >= 0 and (w, c) not in fetched:
                fetched.add((w, c))
                dram_free += graph.weight_bits[w] / bw
                energy += graph.weight_bits[w] * dram.read_pj_per_bit
                ready = dram_free
            if graph.dram_input_bits[cn]:
                dram_free += graph.dram_input_bits[cn] / bw
                energy += graph.dram_input_bits[cn] * dram.read_pj_per_bit
                ready = dram_free
            for e in graph.in_edges[graph.in_ptr[cn] : graph.in_ptr[cn + 1]].tolist():
                src = int(graph.edge_src[e])
                t = end[src]
                if int(core_of[src]) != c:
                    route = topo.route(int(core_of[src]), c)
                    bits = int(graph.edge_bits[e])
                    t += bits / topo.bandwidth(route)
                    energy += bits * sum(
                        topo.resources[r].energy_pj_per_bit for r in route.resources
                    )
                ready = max(ready, t)
            shape = int(graph.shape[cn])
            end[cn] = max(core_free[c], ready) + costs.latency_cycles[shape, c]
            core_free[c] = end[cn]
            energy += float(costs.energy_pj[shape, c])
            if graph.graph_output[cn]:
                dram_free = max(dram_free, end[cn]) + graph.output_bits[cn] / bw
                energy += graph.output_bits[cn] * dram.write_pj_per_bit
        return math.ceil(max(float(end.max()), dram_free) - 1e-9), energy

    return evaluate
