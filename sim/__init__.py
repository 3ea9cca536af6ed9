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

from typing import TYPE_CHECKING

import lazy_loader

from sim.model import __all__ as _model_names

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

# The model's public names, imported from sim.model when first used (PEP 562, by lazy_loader).
__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={"model": _model_names})
