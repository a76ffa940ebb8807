"""Custom actions of the Huiqitong bot (rasa-sdk action server, Python 3.11).

Thin adapters: the rules live in ``policies_kb`` (policy answers) and ``ledger`` (problems,
hand-offs, pushes). Run with ``python -m rasa_sdk --actions actions --port 5055``.
"""
