"""The inter-satellite-link fabric: topology, link latency, faults and the message bus.

Depends on ``constellation`` only; knows nothing about Ray or the agents.
"""
