"""Tests of first-party website tracking."""
