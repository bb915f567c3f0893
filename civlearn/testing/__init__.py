"""Test support shared by every app's tests: the pytest plugin (required skips), screenshots, browser checks.

Nothing here is imported by production code.
"""
