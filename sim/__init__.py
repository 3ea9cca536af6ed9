"""massengage: agent-based simulation of mass-engagement cascades and institutional legitimacy.

Citizens, activists and an institution are Mesa agents on a networkx social graph; their state
lives in numpy arrays so that large populations step fast. See DESIGN.md and the README; the
package's layers are described in docs/architecture.md.

>>> import sim
>>> result = sim.run("scenarios/baseline.yaml")      # doctest: +SKIP
>>> result.summary["legitimacy_end"]                  # doctest: +SKIP

The public API is the model's (:mod:`sim.model`), imported when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sim.model import __all__

if TYPE_CHECKING:
    from sim.model import (
        EngagementModel as EngagementModel,
    )
    from sim.model import (
        Engine as Engine,
    )
    from sim.model import (
        RunResult as RunResult,
    )
    from sim.model import (
        Scenario as Scenario,
    )
    from sim.model import (
        ScenarioError as ScenarioError,
    )
    from sim.model import (
        load_scenario as load_scenario,
    )
    from sim.model import (
        run as run,
    )

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in __all__:
        import sim.model

        value = getattr(sim.model, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
