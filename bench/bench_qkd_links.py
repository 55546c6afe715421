"""Fast-mode key generation: one simulated hour of a 20-link QKD network, wall time printed.

Issue target: under 5 wall seconds. The network is a 20-link ring of 25 km decoy-state
BB84 links (1 GHz sources, 25 % detectors) built from the shared hardware description,
generating key blocks into the pools at both ends of every link for 3600 simulated
seconds; no key requests, so this times the link layer alone. The pools keep real bits
(packed, one bit per bit) up to their capacity; a link whose pools are full pauses, as QKD
devices do, so ``--pool-capacity-bits`` bounds the memory used. Run:

    python bench/bench_qkd_links.py [--hours 1] [--block-bits 65536] [--n-links 20] [--length-km 25]

At 25 km a link makes about 8.7 Mbit/s, so its pools fill within seconds and it pauses
for the rest of the hour; at 150 km (about 27 kbit/s) with 200 Mbit pools no link fills in an hour and
every block of the hour is generated
(``--length-km 150 --pool-capacity-bits 200000000``: 96 Mbit per link in the hour).
"""

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from qkdn.keyrate import get_model  # noqa: E402
from qkdn.link_hardware import keyrate_hardware  # noqa: E402
from qkdn.network import QKDNetwork, QKDSettings  # noqa: E402
from qnetsim.core.hardware import (  # noqa: E402
    DetectorConfig,
    LightSourceConfig,
    LinkHardwareConfig,  # noqa: E402
    NodeHardwareConfig,
)
from qnetsim.core.spec import LinkSpec, NetworkSpec, NodeSpec  # noqa: E402
from qtn.sequence_backed import adapter  # noqa: E402


def ring(n_links: int, length_km: float) -> NetworkSpec:
    node = NodeHardwareConfig(
        light_source=LightSourceConfig(frequency_hz=1e9, mean_photon_number=0.5),
        detector=DetectorConfig(efficiency=0.25, dark_count_rate_hz=100, time_resolution_ps=50),
    )
    nodes = tuple(NodeSpec(f"n{i}", "trusted_relay", node) for i in range(n_links))
    links = tuple(LinkSpec(f"n{i}", f"n{(i + 1) % n_links}", length_km, LinkHardwareConfig()) for i in range(n_links))
    return NetworkSpec(nodes, links)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0)
    parser.add_argument("--block-bits", type=int, default=65536)
    parser.add_argument("--n-links", type=int, default=20)
    parser.add_argument("--length-km", type=float, default=25.0)
    parser.add_argument("--pool-capacity-bits", type=int, default=50_000_000)
    args = parser.parse_args()
    duration_s = 3600.0 * args.hours
    spec = ring(args.n_links, args.length_km)
    start = time.perf_counter()
    with adapter.sequence_globals():
        timeline = adapter.new_timeline(duration_s)
        settings = QKDSettings(block_bits=args.block_bits, pool_capacity_bits=args.pool_capacity_bits)
        network = QKDNetwork(spec, settings, seed=1, timeline=timeline)
        model = get_model("decoy-bb84")
        for link in spec.links:
            hardware = keyrate_hardware(
                link.hardware.fibre,
                spec.node(link.a).hardware.light_source,
                spec.node(link.b).hardware.detector,
                0.015,
                1.16,
            )
            network.add_fast_link(link.a, link.b, model.evaluate(link.length_km, hardware), 0.0, duration_s)
        built_s = time.perf_counter() - start
        adapter.run_timeline(timeline)
    wall_s = time.perf_counter() - start
    secret = sum(row["secret_bits"] for row in network.block_records)
    rate = next(iter(network.fast_links.values())).point.key_rate_bps
    print(f"fast-mode key generation: {args.n_links} links x {args.length_km:g} km, {duration_s:g} s simulated")
    print(f"  key rate per link      {rate:,.0f} bit/s (decoy-state BB84 model)")
    print(f"  blocks delivered       {len(network.block_records):,} ({args.block_bits} secret bits each)")
    print(f"  secret bits            {secret:,}")
    print(f"  events executed        {adapter.events_executed(timeline):,}")
    paused = sum(link.n_paused for link in network.fast_links.values())
    print(f"  blocks paused (full)   {paused:,}")
    print(f"  real key bits per wall s {secret / wall_s:,.0f} (both ends' copies packed in the pools)")
    generating_s = len(network.block_records) * args.block_bits / rate / args.n_links
    state = "then paused: pools full, no consumer" if paused else "never paused"
    print(f"  simulated s generating  {generating_s:,.1f} per link ({state})")
    verdict = "met" if wall_s < 5 else "NOT met"
    print(f"  wall time              {wall_s:.2f} s (build {built_s:.2f} s); target < 5 s: {verdict}")


if __name__ == "__main__":
    main()
