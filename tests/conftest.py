"""Test-wide settings: the suite works with the demo data set, whose log-ins need demo mode."""
import os

os.environ.setdefault("HUIQI_DEMO_MODE", "1")
