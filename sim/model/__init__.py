"""The model: scenario schema, rules, networks, population, the Mesa model and its agents, the
runner and the outcomes. The lowest layer: it imports nothing else from ``sim``, and no plotting,
UI or results-file library (see docs/architecture.md).

The public names are imported when first used (PEP 562), so that ``massengage --help`` and the
commands that only read files do not load the compiled kernels and Mesa (about 3 s).
"""

from __future__ import annotations

import lazy_loader

# The public names, each imported from its module when first used (PEP 562, by lazy_loader),
# so that importing one submodule (a command's parser, for instance) loads nothing else.
__getattr__, __dir__, __all__ = lazy_loader.attach(
    __name__,
    submod_attrs={
        "engagement": ["EngagementModel", "Engine"],
        "runner": ["RunResult", "run"],
        "scenario": ["Scenario", "ScenarioError", "load_scenario"],
    },
)
