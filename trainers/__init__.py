"""Trainers that drive a policy through the mtsql environment (installed as ``mtsql_trainers``)."""
