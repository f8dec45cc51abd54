"""Policy layer: scenarios (YAML -> simulation spec), levers, replays and comparisons.

Import the submodules directly (``from econsec.policy.scenarios import load_scenario``);
nothing is loaded at package import time.
"""
