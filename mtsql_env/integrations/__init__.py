"""Bridges from the one mtsql environment to other RL stacks (servers, Ray, verifiers, SkyRL-Gym, verl).

Nothing is imported here: each module imports its own framework on first use and names the
extra to install when it is missing.
"""
