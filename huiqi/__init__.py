"""Shared foundations of Huiqitong: settings and Chinese text normalisation."""
