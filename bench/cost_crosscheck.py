"""Cross-check the analytical cost model against zigzag-dse on the pairs of the test suite.

    python bench/cost_crosscheck.py                  # analytical vs the golden ZigZag figures
    python bench/cost_crosscheck.py --write-golden   # re-run ZigZag (LOMA, lpf 6) on every pair
    python bench/cost_crosscheck.py --diagnose       # also: ZigZag on the analytical loop order
    python bench/cost_crosscheck.py --timing 4       # ZigZag seconds per call on 4 pairs

Prints one line per pair (latency and energy of both, relative deviation) and the summary
(median and maximum absolute deviation). ``--diagnose`` separates the two causes of a
deviation: if ZigZag evaluating the analytical model's loop order agrees with the analytical
figures, the models count alike and the searches chose differently.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "cost"))

import crosscheck_pairs as cp

from fuseflow.cost import analytical, zigzag_backend


def zigzag_pair(pair: str) -> tuple[str, dict[str, Any]]:
    """ZigZag's full LOMA search on one pair (run in a worker process)."""
    layer_id, core_id = cp.split(pair)
    layer, core = cp.layer(layer_id), cp.core(core_id)
    start = time.perf_counter()
    result = zigzag_backend.layer_cost(layer, core)
    seconds = time.perf_counter() - start
    entry = cp.figures(result)
    entry["inputs_sha"] = cp.inputs_sha(layer, core)
    entry["seconds"] = round(seconds, 2)
    return pair, entry


def write_golden(pairs: list[str], jobs: int) -> None:
    import zigzag

    try:
        entries: dict[str, Any] = dict(cp.read_golden()["pairs"])
    except FileNotFoundError:
        entries = {}
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for pair, entry in pool.map(zigzag_pair, pairs):
            entries[pair] = entry
            lat, en, sec = entry["latency_cycles"], entry["energy_pj"], entry["seconds"]
            print(f"{pair:40s} {lat:>12d} cc {en:>16.1f} pJ  {sec:6.1f} s", flush=True)
            cp.write_golden(entries, zigzag.__version__)
    print(f"wrote {cp.GOLDEN}")


def compare(pairs: list[str], diagnose: bool) -> None:
    golden = cp.read_golden()["pairs"]
    rows, times = [], []
    header = f"{'pair':38s} {'zz cc':>11s} {'ours cc':>11s} {'dLat':>7s} "
    header += f"{'zz pJ':>13s} {'ours pJ':>13s} {'dE':>7s}  note"
    print(header)
    for pair in pairs:
        ref = golden.get(pair)
        layer_id, core_id = cp.split(pair)
        layer, core = cp.layer(layer_id), cp.core(core_id)
        if ref is None:
            print(f"{pair:38s} no golden figures (run --write-golden)")
            continue
        start = time.perf_counter()
        ours = analytical.layer_cost(layer, core)
        times.append(time.perf_counter() - start)
        dev = cp.deviation(pair, ours, ref)
        rows.append(dev)
        note = "STALE golden" if cp.is_stale(pair, golden) else ""
        note += " outlier" if pair in cp.OUTLIERS else ""
        print(
            f"{pair:38s} {ref['latency_cycles']:>11d} {ours.latency_cycles:>11d} "
            f"{dev.latency:>+7.1%} {ref['energy_pj']:>13.4g} {ours.energy_pj:>13.4g} "
            f"{dev.energy:>+7.1%}  {note}"
        )
        if diagnose and max(abs(dev.latency), abs(dev.energy)) > 0.01:
            _diagnose(layer, core, ours, ref)
    s = cp.summarise(rows)
    zz_times = [golden[p]["seconds"] for p in pairs if p in golden]
    print(
        f"\n{s.n} pairs: latency median {s.latency_median:.3%} max {s.latency_max:.3%}; "
        f"energy median {s.energy_median:.3%} max {s.energy_max:.3%}"
    )
    print(
        f"analytical {statistics.mean(times) * 1e3:.1f} ms/call (mean); ZigZag LOMA lpf "
        f"{zigzag_backend.LPF_LIMIT} {statistics.mean(zz_times):.1f} s/call (mean of golden run, "
        f"median {statistics.median(zz_times):.1f} s)"
    )


def _diagnose(layer: Any, core: Any, ours: Any, ref: dict[str, Any]) -> None:
    order = ours.mapping.loop_order
    zz = zigzag_backend.layer_cost(layer, core, loop_order=order)
    parts = ("ideal_cycles", "stall_cycles", "onload_cycles", "offload_cycles")
    print(f"    ours  order {_order(order)} parts {[getattr(ours, p) for p in parts]}")
    print(
        f"    zz@ours-order lat {zz.latency_cycles} parts {[getattr(zz, p) for p in parts]} "
        f"E {zz.energy_pj:.4g}"
    )
    print(f"    zz    order {_order(ref['loop_order'])} parts {[ref[p] for p in parts]}")
    zz_parts = {(p.operand, p.level): p.energy_pj for p in zz.memory_energy}
    for p in ours.memory_energy:
        other = zz_parts.get((p.operand, p.level), 0.0)
        if abs(p.energy_pj - other) > 0.01 * max(ours.energy_pj, 1.0):
            print(f"    energy {p.operand}@{p.level}: ours {p.energy_pj:.4g} zz {other:.4g}")


def _order(order: Any) -> str:
    return " ".join(f"{d}{s}" for d, s in order)


def timing(pairs: list[str]) -> None:
    for pair in pairs:
        layer_id, core_id = cp.split(pair)
        layer, core = cp.layer(layer_id), cp.core(core_id)
        cells = []
        for limit in (4, 6):
            start = time.perf_counter()
            r = zigzag_backend.layer_cost(layer, core, lpf_limit=limit)
            cells.append(f"lpf{limit} {time.perf_counter() - start:5.2f} s ({r.latency_cycles} cc)")
        assert r.mapping is not None
        start = time.perf_counter()
        zigzag_backend.layer_cost(layer, core, loop_order=r.mapping.loop_order)
        cells.append(f"fixed order {time.perf_counter() - start:5.2f} s")
        print(f"{pair:38s} " + "  ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--write-golden", action="store_true")
    ap.add_argument("--stale", action="store_true", help="with --write-golden: only stale pairs")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--diagnose", action="store_true")
    ap.add_argument("--timing", type=int, default=0, metavar="N")
    ap.add_argument("--pairs", default="", help="substring filter on pair ids")
    args = ap.parse_args()
    pairs = [p for p in cp.PAIRS if args.pairs in p]
    if args.timing:
        timing(pairs[:: max(1, len(pairs) // args.timing)][: args.timing])
    elif args.write_golden:
        if args.stale:
            golden = cp.read_golden()["pairs"]
            pairs = [p for p in pairs if cp.is_stale(p, golden)]
        write_golden(pairs, args.jobs)
    else:
        compare(pairs, args.diagnose)


if __name__ == "__main__":
    main()
