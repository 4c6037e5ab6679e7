"""Deals through the API."""
