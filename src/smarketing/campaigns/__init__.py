"""Campaigns and their costs through the API."""
