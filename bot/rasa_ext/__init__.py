"""Rasa extensions for the Huiqitong bot (run inside .venv-rasa, Python 3.10).

Loaded by module path ``bot.rasa_ext.<module>.<Class>``; Rasa puts the working directory on
``sys.path``, so run ``rasa`` from the repository root.
"""
