"""massengage: agent-based simulation of mass-engagement cascades and institutional legitimacy.

Citizens, activists and an institution are Mesa agents on a networkx social graph; their state
lives in numpy arrays so that large populations step fast. See DESIGN.md and the README; the
package's layers are described in docs/architecture.md.

>>> import sim
>>> result = sim.run("scenarios/baseline.yaml")      # doctest: +SKIP
>>> result.summary["legitimacy_end"]                  # doctest: +SKIP
"""

from sim.model import *  # noqa: F403  (the public API is the model's)
from sim.model import __all__  # noqa: F401

__version__ = "0.1.0"
