"""Bridges from `mtsql_env.MTSQLEnv` to other RL stacks; each module imports its framework lazily."""
