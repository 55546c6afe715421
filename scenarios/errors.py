"""Errors of the scenario layer: every problem of a scenario, reported together."""

from collections.abc import Sequence

from qnetsim.core.errors import ConfigError


class ScenarioError(ConfigError):
    """A scenario (file, text or mapping) has one or more problems.

    Attributes:
        problems: one line per problem, each starting with the dotted path of
            the bad field, e.g. ``network.links[3].length_km: must be > 0; got -5.0``.
        source: the file or builtin the scenario came from ('' if none).
    """

    def __init__(self, problems: Sequence[str], source: str = "") -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        where = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{where}{self.problems[0]}"
        lines = [f"{where}{len(self.problems)} problems"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)
