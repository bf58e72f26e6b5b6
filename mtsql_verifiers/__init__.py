"""verifiers finds a taskset by importing its id as a top-level module: ``mtsql-verifiers`` -> this module.

Everything lives in `mtsql_env.integrations.verifiers_env`; see docs/adapters.md.
"""

from mtsql_env.integrations.verifiers_env import *  # noqa: F403 - the same names, under the id verifiers imports
from mtsql_env.integrations.verifiers_env import __all__  # noqa: F401
