"""Agents for the mtsql environment (installed as ``mtsql_agents``)."""
