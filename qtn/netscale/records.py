"""Observation: memory occupancy samples and the rows of the engine's tables."""

from qnetsim.core.bookkeeping import link_record, purification_record, request_record
from qnetsim.core.units import ps_to_s, s_to_ps
from qtn.netscale.base import EngineBase
from qtn.netscale.state import HOLDING, Counters
from qtn.routing import link_attempt_period_s, link_success_probability


class RecordSteps(EngineBase):
    """Observation: memory occupancy samples and the rows of the engine's tables."""

    def _sample_memories(self) -> None:
        now_ps = self.clock.now_ps
        t_s = ps_to_s(now_ps)
        counts: dict[str, list[int]] = {}  # occupied, entangled; only nodes with reserved memories
        for session in self._sessions.values():
            if not session.approved or not session.start_ps <= now_ps < session.end_ps:
                continue
            for slot in session.slots:
                holds_known_pair = slot.state == HOLDING and not slot.busy
                node_counts = counts.get(slot.node)
                if node_counts is None:
                    node_counts = counts[slot.node] = [0, 0]
                node_counts[1 if holds_known_pair else 0] += 1
        idle = (0, 0)
        records = self.memory_records
        for name, hardware in self._hardware.items():  # every node, in the spec's order
            occupied, entangled = counts.get(name, idle)
            n_memories = hardware.n_memories
            records.append(
                {
                    "t_s": t_s,
                    "node": name,
                    "n_memories": n_memories,
                    "n_raw": n_memories - occupied - entangled,
                    "n_occupied": occupied,
                    "n_entangled": entangled,
                }
            )
        assert self.memory_sample_interval_s is not None
        self.clock.at(now_ps + s_to_ps(self.memory_sample_interval_s), self._sample_memories)

    def link_records(self) -> list[dict[str, object]]:
        """One record per link: attempts and successes drawn, with the model's prediction."""
        records = []
        for link in self.spec.links:
            counters = self._link_counters.get(link.name, Counters())
            delay_s = ps_to_s(self._delay_ps(link.a, link.b))
            period_s = link_attempt_period_s(self.spec, link, requester_is_primary=False, classical_delay_s=delay_s)
            records.append(
                link_record(
                    link,
                    "network",
                    counters.n_attempts,
                    counters.n_successes,
                    ps_to_s(s_to_ps(period_s)),
                    link_success_probability(self.spec, link),
                )
            )
        return records

    def purification_records(self) -> list[dict[str, object]]:
        """One record per node pair that purified: rounds attempted and succeeded."""
        return [
            purification_record(a, b, self.options.purification, counters.n_attempts, counters.n_successes)
            for (a, b), counters in sorted(self._purification_counters.items())
        ]

    def teleportation_records(self) -> list[dict[str, object]]:
        """Teleportation is not part of the network-scale mode (the scenario checks refuse it)."""
        return []

    def request_records(self) -> list[dict[str, object]]:
        """One record per request: its outcome, path and number of delivered pairs."""
        return [
            request_record(
                session.request,
                session.purpose,
                session.approved,
                session.outcome_time_s,
                session.path,
                session.n_pairs,
                session.reason,
            )
            for _, session in sorted(self._sessions.items())
        ]
